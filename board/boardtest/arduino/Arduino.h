// A stand-in for the Arduino core, enough to build Thingyard's example
// sketches (assets/boards) on the machine that runs the tests: Serial is
// stdin and stdout (socat joins them to a pty), analogRead moves slowly,
// and the LED's level is written to the file named by THINGYARD_LED.
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint8_t byte;
typedef bool boolean;
#define HIGH 1
#define LOW 0
#define OUTPUT 1
#define INPUT 0
#define A0 14
#define A1 15
#define LED_BUILTIN 13

unsigned long millis();
unsigned long micros();
void delay(unsigned long ms);
void pinMode(int pin, int mode);
void digitalWrite(int pin, int level);
int analogRead(int pin);

struct SerialPort {
  void begin(long baud);
  int available();
  int read();
  size_t write(uint8_t b);
  size_t write(const uint8_t *b, size_t n);
  size_t print(const char *s);
  size_t print(int v);
  size_t print(long v);
  size_t print(unsigned int v);
  size_t print(double v, int digits = 2);
  size_t println(const char *s);
  size_t println(int v);
  size_t println(long v);
  size_t println(double v, int digits = 2);
  operator bool() { return true; }
};
extern SerialPort Serial;
