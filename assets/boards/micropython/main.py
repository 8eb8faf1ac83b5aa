# Thingyard plotter script for MicroPython: prints readings in the Arduino
# Serial Plotter format (temp:21.5,light:300) five times a second and obeys
# the lines "on" and "off" by switching the LED.
#
# Raspberry Pi Pico (and Pico W), ESP32, ESP8266: copy this file to the
# board as main.py (Thonny: File > Save as > MicroPython device), reset it,
# then press "Connect a board" in Thingyard at 115200 baud.
# BBC micro:bit (MicroPython v2): flash it from python.microbit.org.
#
# The Pico's and ESP32's readings are the chip's own temperature sensor
# (where it has one) and an analog pin; the micro:bit's are its
# temperature and light level.

import sys
import time

try:
    import microbit  # BBC micro:bit
except ImportError:
    microbit = None
try:
    import machine  # Pico, ESP32, ESP8266
except ImportError:
    machine = None

PERIOD_MS = 200


def ticks_ms():
    if hasattr(time, "ticks_ms"):
        return time.ticks_ms()
    return int(time.time() * 1000)


def elapsed(now, then):
    if hasattr(time, "ticks_diff"):
        return time.ticks_diff(now, then)
    return now - then


def sensors():
    """Returns (read, led): read() gives (temp, light), led(on) switches it."""
    if microbit:
        def read():
            return microbit.temperature(), microbit.display.read_light_level()

        def led(on):
            if on:
                microbit.display.show(microbit.Image.HEART)
            else:
                microbit.display.clear()
        return read, led
    if machine:
        try:
            pin = machine.Pin("LED", machine.Pin.OUT)  # Pico W and Pico
        except (TypeError, ValueError):
            pin = machine.Pin(2, machine.Pin.OUT)  # most ESP32 boards
        try:
            chip = machine.ADC(4)  # the RP2040's temperature sensor
            light = machine.ADC(26)

            def read():
                volts = chip.read_u16() * 3.3 / 65535
                return 27 - (volts - 0.706) / 0.001721, light.read_u16() >> 6
        except (ValueError, TypeError):
            light = machine.ADC(machine.Pin(34))  # an ESP32 analog pin

            def read():
                raw = light.read()
                return raw * 50 / 4095, raw >> 2
        return read, pin.value
    # Anywhere else (a computer, for trying it): made-up numbers.
    state = {"n": 0}

    def read():
        state["n"] += 1
        return 20 + (state["n"] % 10) / 2, 300 + state["n"]

    def led(on):
        import os  # Thingyard's tests watch the LED through a file
        path = os.environ.get("THINGYARD_LED")
        if path:
            with open(path, "w") as f:
                f.write("1\n" if on else "0\n")
    return read, led


def ascii(b):
    return "".join(chr(x) for x in b if x < 128)


def reader():
    """Returns a function that reads what is waiting on stdin (None at
    the end of the line)."""
    try:
        import os
        fd, raw = sys.stdin.fileno(), os.read
    except (ImportError, AttributeError, OSError, ValueError):
        # MicroPython: one byte at a time, as bytes where it can, so the
        # 0xF9 of Thingyard's detection is no broken UTF-8.
        stream = getattr(sys.stdin, "buffer", sys.stdin)

        def read():
            b = stream.read(1)
            return b if isinstance(b, str) else ascii(b)
        return read

    # A computer's Python: the raw descriptor, past Python's own buffer.
    def read():
        b = raw(fd, 256)
        return ascii(b) if b else None
    return read


def lines():
    """Yields each line the host sent, without blocking the loop."""
    try:
        import select
        poll = select.poll()
        poll.register(sys.stdin, select.POLLIN)
    except (ImportError, AttributeError, OSError):
        poll = None
    read = reader()
    buf = ""
    while True:
        got = ""
        if microbit:
            # On the micro:bit the USB serial line is the UART.
            if microbit.uart.any():
                got = (microbit.uart.read() or b"").decode("ascii", "ignore")
        elif poll:
            while poll.poll(0):
                c = read()
                if c is None:
                    return  # the line is gone
                got += c
        for c in got:
            if c in "\r\n":
                if buf:
                    yield buf
                buf = ""
            elif " " <= c <= "~":  # skips the 0xF9 Thingyard's detection sends
                buf += c
        yield None


def main():
    read, led = sensors()
    if microbit:
        microbit.uart.init(115200)
    last = ticks_ms() - PERIOD_MS
    for line in lines():
        if line == "on":
            led(True)
        elif line == "off":
            led(False)
        now = ticks_ms()
        if elapsed(now, last) >= PERIOD_MS:
            last = now
            temp, light = read()
            print("temp:%.1f,light:%d" % (temp, light))
        time.sleep(0.01)


main()
