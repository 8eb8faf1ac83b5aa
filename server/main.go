// Command thingyard serves the Thingyard page and relays live rooms between
// browsers. One file: the page, its assets and the WebAssembly program are
// embedded, so it can be copied to a classroom machine and run alone.
//
//	thingyard [serve] [-addr 127.0.0.1:8080] [-dev]
//	thingyard sim [-scene NAME|FILE | -link URL] [-seconds N] [-seed S] [-actions FILE] [-json]
//	thingyard link [-scene NAME|FILE] [-actions FILE] [-base URL]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/thingyard/thingyard/server/simcmd"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "thingyard:", err)
		}
		os.Exit(1)
	}
}

// run is the whole program, minus the process: it takes the arguments after
// the program name and the outputs, so tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "sim":
		return simcmd.Sim(args, stdout, stderr)
	case "link":
		return simcmd.Link(args, stdout, stderr)
	case "version":
		_, err := fmt.Fprintln(stdout, "thingyard", version)
		return err
	}
	return fmt.Errorf("unknown command %q (commands: serve, sim, link, version)", cmd)
}
