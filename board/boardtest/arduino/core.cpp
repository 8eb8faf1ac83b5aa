// The stand-in core's implementation; see Arduino.h.
#include "Arduino.h"

#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

SerialPort Serial;

static struct timespec start;
static int peeked = -1;

static unsigned long long nowMicros() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - start.tv_sec) * 1000000ULL + (t.tv_nsec - start.tv_nsec) / 1000;
}

unsigned long millis() { return nowMicros() / 1000; }
unsigned long micros() { return nowMicros(); }
void delay(unsigned long ms) { usleep(ms * 1000); }
void pinMode(int, int) {}

void digitalWrite(int pin, int level) {
  const char *path = getenv("THINGYARD_LED");
  if (pin != LED_BUILTIN || path == NULL) return;
  FILE *f = fopen(path, "w");
  if (f) {
    fprintf(f, "%d\n", level);
    fclose(f);
  }
}

int analogRead(int pin) { return (int)((millis() / 100 + pin * 100) % 1024); }

void SerialPort::begin(long) {}

int SerialPort::available() {
  if (peeked >= 0) return 1;
  struct pollfd p = {0, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return 0;
  unsigned char c;
  if (::read(0, &c, 1) != 1) exit(0); // the line is gone
  peeked = c;
  return 1;
}

int SerialPort::read() {
  if (!available()) return -1;
  int c = peeked;
  peeked = -1;
  return c;
}

size_t SerialPort::write(uint8_t b) { return write(&b, 1); }
size_t SerialPort::write(const uint8_t *b, size_t n) { return ::write(1, b, n) == (ssize_t)n ? n : 0; }

static size_t out(const char *s) { return ::write(1, s, strlen(s)); }
size_t SerialPort::print(const char *s) { return out(s); }
size_t SerialPort::print(int v) { return print((long)v); }
size_t SerialPort::print(unsigned int v) { return print((long)v); }
size_t SerialPort::print(long v) {
  char b[24];
  snprintf(b, sizeof b, "%ld", v);
  return out(b);
}
size_t SerialPort::print(double v, int digits) {
  char b[32];
  snprintf(b, sizeof b, "%.*f", digits, v);
  return out(b);
}
size_t SerialPort::println(const char *s) { return print(s) + out("\r\n"); }
size_t SerialPort::println(int v) { return print(v) + out("\r\n"); }
size_t SerialPort::println(long v) { return print(v) + out("\r\n"); }
size_t SerialPort::println(double v, int digits) { return print(v, digits) + out("\r\n"); }

void setup();
void loop();

int main() {
  clock_gettime(CLOCK_MONOTONIC, &start);
  setup();
  for (;;) {
    loop();
    usleep(200);
  }
}
