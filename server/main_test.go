package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"teleport"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("teleport: err = %v, want unknown command", err)
	}
}
