// Package e2e builds the real thingyard binary, starts it on a free
// loopback port and drives Debian's Chromium through chromedp: what a person
// sees is what these tests check.
package e2e

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/thingyard/thingyard/internal/testkit"
)

var keep = flag.Bool("keep", false, "leave screenshots in e2e/out")

var (
	binary  string // the thingyard binary built for these tests
	baseURL string // where it serves
)

func TestMain(m *testing.M) {
	flag.Parse()
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	if _, err := os.Stat("../assets/thingyard.wasm"); err != nil {
		return 0, errors.New("../assets/thingyard.wasm is missing: run make wasm (make test does it)")
	}
	if _, err := exec.LookPath(chromium()); err != nil {
		return 0, fmt.Errorf("%s not found: run sudo apt-get install chromium (make test does it)", chromium())
	}
	dir, err := os.MkdirTemp("", "thingyard-e2e")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "thingyard")
	dataRoot = dir
	build := exec.Command("go", "build", "-o", binary, "../server")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return 0, fmt.Errorf("build the server: %w", err)
	}
	// The tests share one server and make many rooms and API calls from
	// one address; hostile_test.go checks the default limits on its own.
	srv, url, err := startServer(binary, "-addr", "127.0.0.1:0", "-create-rate", "100000", "-api-rate", "100000")
	if err != nil {
		return 0, err
	}
	baseURL = url
	code := m.Run()
	srv.Process.Signal(os.Interrupt)
	srv.Wait()
	return code, nil
}

// dataRoot holds the servers' rooms folders; it goes when the tests end.
var dataRoot string

// startServer runs the binary and reads the URL it prints; the server
// logs to this process's stderr.
func startServer(bin string, args ...string) (*exec.Cmd, string, error) {
	return startServerLog(bin, os.Stderr, args...)
}

// startServerLog is startServer with the server's log going to log. Unless
// args say where, its rooms are kept in a JetStream of its own in a new
// folder.
func startServerLog(bin string, log io.Writer, args ...string) (*exec.Cmd, string, error) {
	if !slices.Contains(args, "-data") && !slices.Contains(args, "-store") {
		dir, err := os.MkdirTemp(dataRoot, "thingyard-data")
		if err != nil {
			return nil, "", err
		}
		args = append(args, "-data", dir)
	}
	cmd := exec.Command(bin, args...)
	testkit.DieWithTest(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return nil, "", fmt.Errorf("read the server's first line: %w", err)
	}
	i := strings.Index(line, "http://")
	if i < 0 {
		cmd.Process.Kill()
		return nil, "", fmt.Errorf("the server printed %q, not its URL", line)
	}
	return cmd, strings.TrimSpace(line[i:]), nil
}

func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// browser starts a fresh headless Chromium and returns a tab context and
// the console errors it collects. The browser closes when the test ends.
func browser(t *testing.T) (context.Context, *[]string) {
	t.Helper()
	ctx, errs, closeFn := openBrowser(t)
	t.Cleanup(closeFn)
	return ctx, errs
}

// openBrowser is browser with an explicit close.
func openBrowser(t *testing.T) (context.Context, *[]string, func()) {
	t.Helper()
	// Chromium may still write to its profile as it exits, so the profile
	// is removed after the browser, and a failure to remove it is no error.
	profile, err := os.MkdirTemp("", "thingyard-chromium")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium()),
		chromedp.NoSandbox,
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 800),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel2 := chromedp.NewContext(actx)
	ctx, cancel3 := context.WithTimeout(ctx, 5*time.Minute)
	closeFn := func() {
		cancel3()
		cancel2()
		cancel()
		os.RemoveAll(profile)
	}
	var errs []string
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			errs = append(errs, "exception: "+e.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if os.Getenv("THINGYARD_E2E_CONSOLE") != "" {
				for _, a := range e.Args {
					fmt.Fprintf(os.Stderr, "console.%s: %s%s\n", e.Type, a.Value, a.Description)
				}
			}
			// A Go panic in the WebAssembly program is printed with
			// console.log by wasm_exec.js.
			if len(e.Args) > 0 && strings.HasPrefix(string(e.Args[0].Value), `"panic:`) {
				errs = append(errs, "go: "+string(e.Args[0].Value))
			}
			if e.Type == runtime.APITypeError {
				var b strings.Builder
				for _, a := range e.Args {
					b.Write(a.Value)
					b.WriteString(a.Description)
					b.WriteByte(' ')
				}
				errs = append(errs, "console.error: "+b.String())
			}
		}
	})
	return ctx, &errs, closeFn
}

// waitFor polls a JavaScript condition until it is true or the context ends.
func waitFor(ctx context.Context, cond string) chromedp.Action {
	return chromedp.Poll(cond, nil, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(150*time.Second))
}

func saveShot(t *testing.T, name string, png []byte) string {
	t.Helper()
	if err := os.MkdirAll("out", 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("out", name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
