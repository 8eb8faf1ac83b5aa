// Thingyard plotter sketch: prints two readings in the Arduino Serial
// Plotter format (temp:21.5,light:300) five times a second and obeys the
// lines "on" and "off" by switching the LED. Flash it on any Arduino
// (Uno, Nano, Leonardo, Mega), an ESP32 or ESP8266, or a Pico with the
// Arduino core, then press "Connect a board" in Thingyard at 115200 baud.
//
// Wiring is optional: a thermistor or TMP36 on A0 and a light sensor on
// A1 make the numbers real; left open, the pins float and still move.

const long BAUD = 115200;
const unsigned long PERIOD_MS = 200;

#ifndef LED_BUILTIN
#define LED_BUILTIN 13
#endif

char line[32];
int used = 0;
unsigned long last = 0;

void setup() {
  Serial.begin(BAUD);
  pinMode(LED_BUILTIN, OUTPUT);
}

// obey handles one line the host sent.
void obey(const char *cmd) {
  if (strcmp(cmd, "on") == 0) {
    digitalWrite(LED_BUILTIN, HIGH);
  } else if (strcmp(cmd, "off") == 0) {
    digitalWrite(LED_BUILTIN, LOW);
  }
}

void loop() {
  // Read what the host sends, a line at a time. Only printable
  // characters count: Thingyard's auto-detection sends one Firmata byte
  // (0xF9) when it connects, which this skips.
  while (Serial.available() > 0) {
    int c = Serial.read();
    if (c == '\n' || c == '\r') {
      line[used] = 0;
      if (used > 0) obey(line);
      used = 0;
    } else if (c >= ' ' && c <= '~' && used < (int)sizeof(line) - 1) {
      line[used++] = (char)c;
    }
  }

  unsigned long now = millis();
  if (now - last >= PERIOD_MS) {
    last = now;
    float temp = analogRead(A0) * 50.0 / 1023.0; // 0..50 °C across the pin's range
    int light = analogRead(A1);
    Serial.print("temp:");
    Serial.print(temp, 1);
    Serial.print(",light:");
    Serial.println(light);
  }
}
