package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/kataras/iris/v12"
)

const (
	// chromiumPath is where Debian's chromium package puts the browser;
	// setup_browser.sh installs it.
	chromiumPath = "/usr/bin/chromium"
	// browserLimit bounds the life of the browser of one test.
	browserLimit = 4 * time.Minute
	// actionLimit bounds each step of a test in the browser.
	actionLimit = 60 * time.Second
	// screenshotDirEnv names a directory that keeps the screenshots after the
	// test; without it they go to the test's temporary directory.
	screenshotDirEnv = "INTEROP_SCREENSHOT_DIR"
)

// startApp serves app on 127.0.0.1 for the length of the test.
func startApp(t *testing.T, app *iris.Application) *httptest.Server {
	t.Helper()
	if err := app.Build(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return srv
}

// startBrowser starts a headless Chromium with a fresh profile and returns
// its context; tabs are opened from it with openTab. It skips the test when
// Chromium is not installed.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("Chromium is not installed (%v): install it with apt-get install -y chromium, or run bash interop/setup_browser.sh", err)
	}
	// The deadline bounds everything the browser does in this test.
	limitCtx, cancelLimit := context.WithTimeout(context.Background(), browserLimit)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(limitCtx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Containers often have a small /dev/shm, which crashes Chromium.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// Cleanups run in reverse order: the browser stops before its profile
	// directory, registered above, is removed.
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		cancelLimit()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return ctx
}

// tab is one page of the browser, with the uncaught JavaScript exceptions
// it has thrown.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu         sync.Mutex
	exceptions []string
}

// openTab opens url in a new tab of the browser.
func openTab(t *testing.T, browser context.Context, name, url string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	tb := &tab{t: t, name: name, ctx: ctx}
	// The first action on a tab opens it, and must not carry a timeout of its
	// own; the browser's deadline bounds it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: open a tab: %v", name, err)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*cdpruntime.EventExceptionThrown); ok {
			tb.mu.Lock()
			tb.exceptions = append(tb.exceptions, exceptionText(e.ExceptionDetails))
			tb.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("%s: listen for exceptions: %v", name, err)
	}
	tb.do("open "+url, chromedp.Navigate(url))
	return tb
}

// do runs the steps, at most actionLimit, and fails the test on error.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionLimit)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %s: %v%s", tb.name, what, err, tb.pageText())
	}
}

// evalString evaluates a JavaScript expression whose value is a string.
func (tb *tab) evalString(expression string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionLimit)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expression))
	if err != nil {
		tb.t.Fatalf("%s: evaluate %s: %v", tb.name, expression, err)
	}
	return s
}

// waitFor waits, at most actionLimit, until the JavaScript expression is truthy.
func (tb *tab) waitFor(what, expression string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionLimit)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expression, chromedp.WithPollingTimeout(actionLimit)))
	if err != nil {
		tb.t.Fatalf("%s: waiting for %s: %v%s", tb.name, what, err, tb.pageText())
	}
}

// pageText is the start of the page's visible text, to explain a failure.
func (tb *tab) pageText() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 2000)`))
	if err != nil {
		return ""
	}
	return "\npage text:\n" + text
}

// checkNoExceptions fails the test if the page threw an uncaught exception.
func (tb *tab) checkNoExceptions() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.exceptions {
		tb.t.Errorf("%s: uncaught JavaScript exception: %s", tb.name, e)
	}
}

// screenshot saves a PNG of the page's viewport and logs its path (a
// full-page capture takes Chromium seconds per screen of text). The test
// asserts on the DOM; the picture is for people.
func (tb *tab) screenshot(file string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionLimit)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("%s: screenshot: %v", tb.name, err)
	}
	dir := os.Getenv(screenshotDirEnv)
	if dir == "" {
		dir = tb.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("%s: screenshot of %d bytes in %s", tb.name, len(png), path)
}

// exceptionText describes an uncaught exception: its message and where it was thrown.
func exceptionText(d *cdpruntime.ExceptionDetails) string {
	text := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		text = d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d:%d)", text, d.URL, d.LineNumber+1, d.ColumnNumber+1)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// largeText returns about size bytes of valid UTF-8 text mixing one-, two-,
// three- and four-byte characters, numbered so that a lost or repeated piece
// shows.
func largeText(size int) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%06d héllo 日本語 ✓ 🎉 ", i)
	}
	return b.String()
}
