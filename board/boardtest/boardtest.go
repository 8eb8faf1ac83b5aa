// Package boardtest holds the boards that Thingyard's tests plug in:
// socat pty pairs that stand in for a USB cable (and can be unplugged
// and plugged back), a sketch that prints Serial Plotter lines and obeys
// on/off lines, and a Modbus RTU slave built on Debian's libmodbus. The
// Firmata board is board/firmata's Uno.
package boardtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/thingyard/thingyard/internal/testkit"
)

// Cable is a socat pty pair: Host is the path the program under test
// opens (like /dev/ttyACM0), Board the path the emulator opens. Both are
// symlinks that stay the same across Unplug and Plug.
type Cable struct {
	Host, Board string
	t           testing.TB
	far         string   // socat's address of the board's end
	env         []string // the board program's environment
	mu          sync.Mutex
	cmd         *exec.Cmd
}

// NewCable makes a pty pair in a test's temporary directory.
func NewCable(t testing.TB) *Cable {
	t.Helper()
	need(t, "socat")
	dir := t.TempDir()
	c := &Cable{Host: filepath.Join(dir, "ttyACM0"), Board: filepath.Join(dir, "board"), t: t}
	c.far = "pty,raw,echo=0,link=" + c.Board
	c.Plug()
	t.Cleanup(c.Unplug)
	return c
}

// NewProgramCable makes a cable whose board end is a program's stdin and
// stdout, started by socat with env added to the environment: an example
// sketch built for this machine (BuildSketch) or a MicroPython script run
// by python3. Board is then empty.
func NewProgramCable(t *testing.T, env []string, argv ...string) *Cable {
	t.Helper()
	need(t, "socat")
	c := &Cable{Host: filepath.Join(t.TempDir(), "ttyACM0"), t: t, env: env}
	c.far = "EXEC:" + strings.Join(argv, " ")
	c.Plug()
	t.Cleanup(c.Unplug)
	return c
}

// Plug starts socat and returns once both ptys exist.
func (c *Cable) Plug() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		return
	}
	cmd := exec.Command("socat", "-d", "-d", "pty,raw,echo=0,link="+c.Host, c.far)
	cmd.Env = append(os.Environ(), c.env...)
	testkit.DieWithTest(cmd)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start socat: %v", err)
	}
	// socat reports each pty as it makes it, then that it is transferring.
	sc := bufio.NewScanner(stderr)
	var said []string
	for sc.Scan() && !strings.Contains(sc.Text(), "starting data transfer") {
		said = append(said, sc.Text())
	}
	if _, err := os.Stat(c.Host); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		c.t.Fatalf("socat made no pty pair: %v\n%s", err, strings.Join(said, "\n"))
	}
	go func() {
		for sc.Scan() {
		}
	}()
	c.cmd = cmd
}

// Unplug ends socat: both ends see the line go, as when a USB board is
// pulled out.
func (c *Cable) Unplug() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return
	}
	c.cmd.Process.Kill()
	c.cmd.Wait()
	c.cmd = nil
}

// Open opens a pty end raw, for an emulator or a test's own reads.
func Open(t testing.TB, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: run make deps (it installs socat, gcc, g++, python3, pkg-config and libmodbus-dev)", tool)
		}
	}
}

// Sketch is a board running a sketch like assets/boards/plotter: every
// Period it prints temp:…,light:… and it obeys the lines "on" and "off"
// (its LED).
type Sketch struct {
	Period time.Duration // between lines (default 50 ms)

	mu    sync.Mutex
	n     int
	led   bool
	wrote chan string
}

// Line is the n-th line the sketch prints.
func (s *Sketch) Line(n int) string {
	return fmt.Sprintf("temp:%.1f,light:%d\r\n", 20+float64(n%10)/2, 300+n)
}

// LED is whether the last on/off line switched it on.
func (s *Sketch) LED() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.led
}

// Serve prints and listens on port until ctx ends or the port fails.
func (s *Sketch) Serve(ctx context.Context, port io.ReadWriter) error {
	if s.Period <= 0 {
		s.Period = 50 * time.Millisecond
	}
	errc := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(port)
		for sc.Scan() {
			// Like the example sketch: only printable characters count.
			line := strings.TrimSpace(strings.Map(func(r rune) rune {
				if r < ' ' || r > '~' {
					return -1
				}
				return r
			}, sc.Text()))
			if line == "" {
				continue
			}
			s.mu.Lock()
			switch line {
			case "on":
				s.led = true
			case "off":
				s.led = false
			}
			s.mu.Unlock()
		}
		errc <- fmt.Errorf("sketch: line closed: %v", sc.Err())
	}()
	t := time.NewTicker(s.Period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errc:
			return err
		case <-t.C:
			s.mu.Lock()
			s.n++
			line := s.Line(s.n)
			s.mu.Unlock()
			if _, err := io.WriteString(port, line); err != nil {
				return err
			}
		}
	}
}

// BuildSketch builds an example sketch of assets/boards (its path
// below that folder) for this machine, against the stand-in Arduino core
// in arduino/, and returns the program.
func BuildSketch(t *testing.T, ino string) string {
	t.Helper()
	need(t, "g++")
	src := filepath.Join(Examples(), ino)
	core := filepath.Join(here(), "arduino")
	bin := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(ino), ".ino"))
	out, err := exec.Command("g++", "-Wall", "-Werror", "-o", bin, "-include", filepath.Join(core, "Arduino.h"),
		"-x", "c++", src, "-x", "none", filepath.Join(core, "core.cpp")).CombinedOutput()
	if err != nil {
		t.Fatalf("build %s: %v\n%s", ino, err, out)
	}
	return bin
}

// Examples is the folder of the ready-to-flash examples.
func Examples() string { return filepath.Join(here(), "..", "..", "assets", "boards") }

func here() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Libmodbus runs board/modbus/testdata/slave.c, built against Debian's
// libmodbus, on a pty path: slave 17 at 9600 baud, holding registers
// 100..115, input registers 200..215, 16 coils. It returns the slave's
// process once it listens; the test's cleanup stops it.
func Libmodbus(t *testing.T, path string) *os.Process {
	t.Helper()
	need(t, "gcc", "pkg-config")
	src := filepath.Join(here(), "..", "modbus", "testdata", "slave.c")
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libmodbus").Output()
	if err != nil {
		t.Fatalf("libmodbus is missing: run make deps (sudo apt-get install libmodbus-dev): %v", err)
	}
	bin := filepath.Join(t.TempDir(), "slave")
	args := append([]string{"-o", bin, src}, strings.Fields(string(flags))...)
	if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("build the libmodbus slave: %v\n%s", err, out)
	}
	slave := exec.Command(bin, path)
	testkit.DieWithTest(slave)
	out, _ := slave.StdoutPipe()
	slave.Stderr = os.Stderr
	if err := slave.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slave.Process.Kill(); slave.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("slave did not start: %q %v", line, err)
	}
	return slave.Process
}
