package relay

import (
	"fmt"
	"testing"
)

func TestQueueKeepsOrderAndRefusesPastMax(t *testing.T) {
	wakes := 0
	q := newQueue(3, func() { wakes++ })
	q.push([]byte{0})
	if wakes != 0 {
		t.Fatal("a queue woke its taker before it was opened")
	}
	q.take(nil)
	q.open()
	for i := range 3 {
		if !q.push([]byte{byte(i)}) {
			t.Fatalf("push %d refused below max", i)
		}
	}
	if q.push([]byte{9}) {
		t.Fatal("push past max was accepted")
	}
	if wakes != 1 {
		t.Fatalf("%d wakes for frames put in an idle queue, want 1", wakes)
	}
	_, frames := q.take(nil)
	if got, want := fmt.Sprint(frames), "[[0] [1] [2]]"; got != want {
		t.Fatalf("take = %s, want %s", got, want)
	}
	if _, got := q.take(nil); len(got) != 0 {
		t.Fatalf("second take = %v, want nothing", got)
	}
	if !q.push([]byte{4}) {
		t.Fatal("push refused after the queue was drained")
	}
	if wakes != 2 {
		t.Fatalf("%d wakes after the queue was found empty and a frame came, want 2", wakes)
	}
	if !q.close() {
		t.Fatal("close says no taker was woken, but one was and has not found the queue empty")
	}
	q.take(nil)
	q.take(nil)
	q.push([]byte{5})
	if wakes != 2 {
		t.Fatalf("a closed queue woke its taker (%d wakes)", wakes)
	}
}
