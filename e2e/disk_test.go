package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/server/store/storetest"
	"github.com/thingyard/thingyard/wire"
)

// A server whose -data disk fills up (a small tmpfs of the test's own)
// refuses new actions with a reason that names the disk, over REST (507)
// and WebSocket (an error envelope), and stays up: /healthz says what is
// wrong and the room's log reads back whole. Once space is freed the room
// carries on at its next seq, and after a SIGKILL and a restart on the
// same data too; a member that followed it all has the room's log.
func TestFullDiskRefusesActionsAndKeepsTheRoom(t *testing.T) {
	disk := storetest.NewDisk(t, 16<<20) // the server keeps a tenth of it free
	data := disk.Path("data")
	addr := freeAddr(t)
	base := "http://" + addr + "/"
	start := func() *exec.Cmd {
		t.Helper()
		srv, _, err := startServer(binary, "-addr", addr, "-data", data, "-api-rate", "100000")
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	srv := start()
	defer func() { srv.Process.Signal(os.Interrupt); srv.Wait() }()
	id := createRoom(t, base, "open-api")
	act := func(n int) (int, map[string]any) {
		t.Helper()
		return post(t, base+"api/rooms/"+id+"/actions", "application/json", fmt.Sprintf(`{"kind":"move","device":"meter","x":%d,"y":300}`, n%500))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &follower{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.run(ctx, base, id, false)
	}()
	testkit.EventuallySays(t, time.Minute, haveAtLeast([]*follower{f}, 1)) // its own arrival
	acked := 0
	for ; acked < 20; acked++ {
		if status, body := act(acked); status != http.StatusAccepted {
			t.Fatalf("action %d: %d %v", acked, status, body)
		}
	}

	release := disk.Fill(t, 2<<20)
	var refusal map[string]any
	for refusal == nil {
		switch status, body := act(acked); status {
		case http.StatusAccepted:
			acked++
			if acked > 20_000 {
				t.Fatalf("%d actions and the disk under %s is not full (%d bytes free)", acked, data, disk.Free(t))
			}
		case http.StatusInsufficientStorage:
			refusal = body
		default:
			t.Fatalf("action %d on a disk filling up: %d %v, want 202 or 507", acked, status, body)
		}
	}
	detail, _ := refusal["detail"].(string)
	if !strings.Contains(detail, "no space left") || !strings.Contains(detail, data) {
		t.Errorf("the refusal says %q; want it to name the lack of space and %s", detail, data)
	}
	t.Logf("refused after %d actions with %d bytes free: %s", acked, disk.Free(t), detail)
	logged := uint64(roomSeq(t, base, id))

	// A browser's action is refused with the same words.
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	c, _, err := dialWS(wctx, base, fmt.Sprintf("room=%s&since=%d", id, logged))
	if err != nil {
		t.Fatalf("join the room on a full disk: %v", err)
	}
	if err := c.Write(wctx, websocket.MessageText, []byte(`{"kind":"action","body":{"kind":"move","device":"plc","x":1,"y":1}}`)); err != nil {
		t.Fatal(err)
	}
	errEnv, err := readKind(wctx, c, wire.KindError)
	if err != nil || !strings.Contains(string(errEnv), "no space left") {
		t.Errorf("a browser's action on a full disk: %s %v, want an error envelope saying there is no space left", errEnv, err)
	}
	c.CloseNow()

	// The server is up and says what is wrong.
	if status, body := healthz(t, base); status != http.StatusServiceUnavailable || !strings.Contains(body, "no space left") {
		t.Errorf("/healthz on a full disk: %d %q, want 503 saying there is no space left", status, body)
	}
	// What was logged reads back whole, and the member has it all.
	testkit.EventuallySays(t, time.Minute, haveAtLeast([]*follower{f}, logged))
	log := roomLog(t, base, id)
	if got := countActions(log); got != acked || log[len(log)-1].Seq != logged {
		t.Fatalf("the room's log holds %d actions up to seq %d; %d were accepted, up to seq %d", got, log[len(log)-1].Seq, acked, logged)
	}
	sameLog(t, "the member", f, log)

	// Space freed: the room carries on at its next seq.
	release()
	if status, body := healthz(t, base); status != http.StatusOK {
		t.Errorf("/healthz with space freed: %d %q", status, body)
	}
	status, body := act(acked)
	if seq, _ := body["seq"].(float64); status != http.StatusAccepted || uint64(seq) != logged+1 {
		t.Fatalf("the first action with space freed: %d %v, want 202 at seq %d", status, body, logged+1)
	}
	acked++

	// And after a restart on the same data.
	srv.Process.Signal(syscall.SIGKILL)
	srv.Wait()
	srv = start()
	if seq := uint64(roomSeq(t, base, id)); seq < logged+1 {
		t.Fatalf("after a restart the room is at seq %d, it was at %d", seq, logged+1)
	}
	if status, body := act(acked); status != http.StatusAccepted {
		t.Fatalf("an action after the restart: %d %v", status, body)
	}
	acked++
	// The server told the room that the members it had before the kill
	// are gone, and appends that as it opens the room: settle waits it out.
	log = settle(t, base, id, []*follower{f})
	cancel()
	<-done
	if got := countActions(log); got != acked {
		t.Errorf("the room's log holds %d actions, %d were accepted", got, acked)
	}
	sameLog(t, "the member", f, log)
}

// healthz is the server's /healthz: status and body.
func healthz(t *testing.T, base string) (int, string) {
	t.Helper()
	res, err := noKeepAlive.Get(base + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// countActions counts the actions of a log as roomLog reads it.
func countActions(log []wire.Envelope) int {
	n := 0
	for _, e := range log {
		if e.Kind == wire.KindAction {
			n++
		}
	}
	return n
}
