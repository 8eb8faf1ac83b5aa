package relay

import (
	"fmt"
	"testing"
)

func TestQueueKeepsOrderAndRefusesPastMax(t *testing.T) {
	q := newQueue(3)
	for i := range 3 {
		if !q.push([]byte{byte(i)}) {
			t.Fatalf("push %d refused below max", i)
		}
	}
	if q.push([]byte{9}) {
		t.Fatal("push past max was accepted")
	}
	select {
	case <-q.ready:
	default:
		t.Fatal("no ready signal after a push")
	}
	got := fmt.Sprint(q.take(nil))
	if want := "[[0] [1] [2]]"; got != want {
		t.Fatalf("take = %s, want %s", got, want)
	}
	if got := q.take(nil); len(got) != 0 {
		t.Fatalf("second take = %v, want nothing", got)
	}
	if !q.push([]byte{4}) {
		t.Fatal("push refused after the queue was drained")
	}
}
