package storetest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Disk is a small disk of the test's own to fill up: a tmpfs mounted in a
// user and mount namespace of its own, which a process of the test holds
// open until the test ends. It needs no root and touches no disk of the
// machine; any process reaches it through Dir.
type Disk struct {
	// Dir is the tmpfs, as every process of the machine reaches it: the
	// mount point seen through /proc/PID/root of the holding process.
	Dir string
}

// NewDisk mounts a tmpfs of size bytes for the test. Without user
// namespaces (a kernel or policy that forbids them to this user) it fails
// the test saying what was refused and what to change.
func NewDisk(t testing.TB, size int64) *Disk {
	t.Helper()
	mnt, err := os.MkdirTemp("", "thingyard-disk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(mnt) })
	// unshare makes the namespaces and execs sh, sh mounts and execs cat:
	// one process throughout, which ends when its input closes (at the
	// end of the test, or when the test process dies).
	holder := exec.Command("unshare", "--user", "--map-root-user", "--mount", "--propagation", "private",
		"sh", "-c", `mount -t tmpfs -o size="$1" thingyard-test "$2" && echo mounted && exec cat >/dev/null`,
		"sh", fmt.Sprint(size), mnt)
	var stderr strings.Builder
	holder.Stderr = &stderr
	in, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatalf("start unshare (util-linux): %v", err)
	}
	t.Cleanup(func() {
		in.Close()
		holder.Wait()
	})
	select {
	case line, ok := <-lines(bufio.NewScanner(out)):
		if ok && line == "mounted" {
			break
		}
		holder.Wait()
		t.Fatalf("mount a %d-byte tmpfs in a user and mount namespace of the test's own (unshare --user --map-root-user --mount): %s\n"+
			"The test needs user namespaces: run it as root, or allow them to this user (sysctl -w kernel.unprivileged_userns_clone=1 on Debian before 11; "+
			"sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 23.10 and later; user.max_user_namespaces must be above 0)",
			size, strings.TrimSpace(stderr.String()))
	case <-time.After(Patience):
		holder.Process.Kill()
		t.Fatalf("the tmpfs was not mounted after %s: %s", Patience, stderr.String())
	}
	return &Disk{Dir: fmt.Sprintf("/proc/%d/root%s", holder.Process.Pid, mnt)}
}

// Free is how many bytes of the disk an unprivileged writer may still use.
func (d *Disk) Free(t testing.TB) int64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(d.Dir, &st); err != nil {
		t.Fatalf("statfs %s: %v", d.Dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// Fill takes all but leave bytes of what is free on the disk with a
// ballast file, as another program filling the disk would; the function it
// returns deletes the ballast, freeing that space again.
func (d *Disk) Fill(t testing.TB, leave int64) (release func()) {
	t.Helper()
	f, err := os.CreateTemp(d.Dir, "ballast")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := d.Free(t) - leave; n > 0 {
		if err := unix.Fallocate(int(f.Fd()), 0, 0, n); err != nil {
			t.Fatalf("fill %s with %d bytes: %v", d.Dir, n, err)
		}
	}
	name := f.Name()
	return func() {
		t.Helper()
		if err := os.Remove(name); err != nil {
			t.Fatalf("free the disk: %v", err)
		}
	}
}

// Path is name on the disk.
func (d *Disk) Path(name string) string { return filepath.Join(d.Dir, name) }
