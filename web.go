// Package thingyard holds the page Thingyard serves: index.html and the
// assets beside it (the built WebAssembly program among them), embedded so
// the server is one file that can be copied to a classroom machine.
package thingyard

import "embed"

// Web is index.html and assets/, as built by make wasm.
//
//go:embed index.html assets
var Web embed.FS
