// Thingyard Modbus RTU slave: the M2M way. The board answers a Modbus RTU
// master on its USB serial line at 9600 baud, 8N1, as slave 1:
//
//   holding register 0  temperature in tenths of a degree (A0)
//   holding register 1  light (A1, 0..1023)
//   coil 0              the LED (an on/off command from Thingyard)
//
// Functions: 01 read coils, 03 read holding registers, 05 write single
// coil, 06 write single register. Anything else gets exception 01.
// Flash it, then in Thingyard choose Modbus RTU and 9600 baud (or run
// thingyard -serial PORT -baud 9600 -serial-protocol modbus ...). For a
// real RS-485 bus, put a MAX485 transceiver on Serial1 and drive its DE pin.

const long BAUD = 9600;
const byte SLAVE = 1;
const int REGISTERS = 2;

#ifndef LED_BUILTIN
#define LED_BUILTIN 13
#endif

byte frame[64];
int used = 0;
unsigned long lastByte = 0;
bool led = false;
unsigned int regs[REGISTERS];

// crc16 is Modbus' CRC (polynomial 0xA001, initial 0xFFFF).
unsigned int crc16(const byte *b, int n) {
  unsigned int crc = 0xFFFF;
  for (int i = 0; i < n; i++) {
    crc ^= b[i];
    for (int k = 0; k < 8; k++) {
      crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    }
  }
  return crc;
}

void reply(byte *b, int n) {
  unsigned int crc = crc16(b, n);
  b[n] = crc & 0xFF;
  b[n + 1] = crc >> 8;
  Serial.write(b, n + 2);
}

void exception(byte fn, byte code) {
  byte b[5] = {SLAVE, (byte)(fn | 0x80), code};
  reply(b, 3);
}

// handle answers one complete request frame.
void handle(const byte *f, int n) {
  if (n < 8 || f[0] != SLAVE || crc16(f, n - 2) != (unsigned int)(f[n - 2] | f[n - 1] << 8)) {
    return; // not for this slave, or damaged: a slave stays silent
  }
  byte fn = f[1];
  unsigned int addr = f[2] << 8 | f[3], val = f[4] << 8 | f[5];
  byte out[64];
  out[0] = SLAVE;
  out[1] = fn;
  switch (fn) {
    case 0x01: // read coils: only coil 0 exists
      if (addr != 0 || val != 1) return exception(fn, 0x02);
      out[2] = 1;
      out[3] = led ? 1 : 0;
      return reply(out, 4);
    case 0x03: // read holding registers
      if (val < 1 || addr + val > REGISTERS) return exception(fn, 0x02);
      out[2] = val * 2;
      for (unsigned int i = 0; i < val; i++) {
        out[3 + 2 * i] = regs[addr + i] >> 8;
        out[4 + 2 * i] = regs[addr + i] & 0xFF;
      }
      return reply(out, 3 + val * 2);
    case 0x05: // write single coil: 0xFF00 on, 0x0000 off
      if (addr != 0) return exception(fn, 0x02);
      if (val != 0xFF00 && val != 0x0000) return exception(fn, 0x03);
      led = val == 0xFF00;
      digitalWrite(LED_BUILTIN, led ? HIGH : LOW);
      for (int i = 0; i < 6; i++) out[i] = f[i]; // the echo
      return reply(out, 6);
    case 0x06: // write single register
      if (addr >= REGISTERS) return exception(fn, 0x02);
      regs[addr] = val;
      for (int i = 0; i < 6; i++) out[i] = f[i];
      return reply(out, 6);
  }
  exception(fn, 0x01);
}

void setup() {
  Serial.begin(BAUD);
  pinMode(LED_BUILTIN, OUTPUT);
}

void loop() {
  regs[0] = analogRead(A0) * 500L / 1023; // 0..50.0 °C in tenths
  regs[1] = analogRead(A1);
  while (Serial.available() > 0) {
    int c = Serial.read();
    if (used < (int)sizeof(frame)) frame[used++] = c;
    lastByte = micros();
  }
  // A frame ends with 3.5 characters of silence (about 4 ms at 9600).
  if (used > 0 && micros() - lastByte > 4000) {
    handle(frame, used);
    used = 0;
  }
}
