package e2e

import (
	"os"
	"testing"
)

// wasmBudget is the most the served WebAssembly program may weigh, brotli
// compressed, in bytes. Sizes do not drift by themselves: when a change
// needs more, raise this number in the same commit and say why (README,
// "Download size").
const wasmBudget = 2_978_000

func TestWasmDownloadBudget(t *testing.T) {
	fi, err := os.Stat("../assets/thingyard.wasm.br")
	if err != nil {
		t.Fatalf("%v: run make wasm", err)
	}
	t.Logf("thingyard.wasm.br is %d bytes of a %d budget", fi.Size(), wasmBudget)
	if fi.Size() > wasmBudget {
		t.Errorf("the WebAssembly program is %d bytes brotli, over its budget of %d: shrink it, or raise wasmBudget deliberately", fi.Size(), wasmBudget)
	}
}
