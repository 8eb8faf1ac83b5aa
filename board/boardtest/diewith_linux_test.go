package boardtest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// holdEnv makes TestBoardsDieWithTheirTest, run again as a child, plug a
// cable and a libmodbus slave, say their pids and wait to be killed.
const holdEnv = "THINGYARD_BOARDTEST_HOLD"

// A test process killed part-way runs no cleanup; its socat cables and
// libmodbus slaves must die with it all the same.
func TestBoardsDieWithTheirTest(t *testing.T) {
	if os.Getenv(holdEnv) == "1" {
		c := NewCable(t)
		slave := Libmodbus(t, c.Board)
		fmt.Printf("pids %d %d\n", c.cmd.Process.Pid, slave.Pid)
		time.Sleep(time.Hour) // until the parent kills this process
		return
	}
	child := exec.Command(os.Args[0], "-test.run=^TestBoardsDieWithTheirTest$", "-test.count=1")
	child.Env = append(os.Environ(), holdEnv+"=1")
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var pids []int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f, ok := strings.CutPrefix(sc.Text(), "pids "); ok {
			for _, s := range strings.Fields(f) {
				n, err := strconv.Atoi(s)
				if err != nil {
					t.Fatalf("pids line %q", sc.Text())
				}
				pids = append(pids, n)
			}
			break
		}
	}
	if len(pids) != 2 {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("the child test said no pids (%v)", sc.Err())
	}
	for _, pid := range pids {
		if dead(pid) {
			t.Fatalf("process %d died before its test", pid)
		}
	}
	// SIGKILL: no cleanup of the child's runs.
	child.Process.Kill()
	child.Wait()
	end := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for !dead(pid) && time.Now().Before(end) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, pid := range pids {
		if !dead(pid) {
			t.Errorf("process %d (%s) outlived its killed test", pid, comm(pid))
			syscall.Kill(pid, syscall.SIGKILL) // this test's own cleanup
		}
	}
}

// dead is whether a process is gone or a zombie nobody reaped yet.
func dead(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// pid (comm) state …; comm may hold spaces and parentheses.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z' || s[i+2] == 'X'
}

func comm(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(b))
}
