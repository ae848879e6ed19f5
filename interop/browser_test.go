package interop

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/iris-contrib/websocket/examples/chat/chatapp"
	"github.com/iris-contrib/websocket/examples/echo/echoapp"
)

// browserMessages are what a person sends in the browser tests: typed on the
// keyboard, or, for the large one, pasted into the input.
var browserMessages = []struct {
	name  string
	text  string
	typed bool
}{
	{"typed ASCII", "hello from the browser", true},
	{"typed non-ASCII", "héllo 日本語 ✓ 🎉", true},
	{"pasted 100 KB", largeText(100 << 10), false},
}

// fill types text into the input selected by css, or sets it at once.
func fill(css, text string, typed bool) chromedp.Action[chromedp.Void] {
	if typed {
		return chromedp.SendKeys(chromedp.CSS(css), text)
	}
	return chromedp.SetValue(chromedp.CSS(css), text)
}

// chatEventsJS counts the events of a kind shown in the chat page.
func chatEventsJS(kind string) string {
	return fmt.Sprintf(`document.querySelectorAll("#messages li.event.%s").length`, kind)
}

// chatHasEventJS is true once the chat page shows an event of kind by name.
func chatHasEventJS(kind, name string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#messages li.event.%s .name")].some(e => e.textContent === %s)`, kind, jsString(name))
}

// chatLastMessageJS is the last message the chat page shows, as "name\ttext".
const chatLastMessageJS = `(() => {
	const items = document.querySelectorAll("#messages li.event.message");
	const last = items[items.length - 1];
	return last.querySelector(".name").textContent + "\t" + last.querySelector(".text").textContent;
})()`

// joinChat fills the join form of the chat page and waits for the socket to open.
func joinChat(tb *tab, room, name string) {
	tb.t.Helper()
	tb.do("join "+room,
		chromedp.SetValue(chromedp.CSS("#room"), room),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.Click(chromedp.CSS("#join")),
	)
	tb.waitFor("the socket to open", `document.getElementById("status").dataset.state === "open"`)
}

// TestBrowserChat has two Chromium tabs talk in the chat example's page.
func TestBrowserChat(t *testing.T) {
	srv := startApp(t, chatapp.NewApp(chatapp.Options{}))
	browser := startBrowser(t)
	ann := openTab(t, browser, "ann", srv.URL+"/")
	bob := openTab(t, browser, "bob", srv.URL+"/")

	joinChat(ann, "browsers", "ann")
	ann.waitFor("ann's join notice", chatHasEventJS("join", "ann"))
	joinChat(bob, "browsers", "bob")
	for _, tb := range []*tab{ann, bob} {
		tb.waitFor("bob's join notice", chatHasEventJS("join", "bob"))
	}

	// The browser's own WebSocket negotiated permessage-deflate with our server.
	for _, tb := range []*tab{ann, bob} {
		if ext := tb.evalString(`chat.socket.extensions`); !strings.HasPrefix(ext, "permessage-deflate") {
			t.Errorf("%s: the browser's WebSocket negotiated extensions %q, want permessage-deflate", tb.name, ext)
		}
	}

	for i, m := range browserMessages {
		ann.do("send "+m.name, fill("#text", m.text, m.typed), chromedp.Click(chromedp.CSS("#send")))
		for _, tb := range []*tab{bob, ann} {
			tb.waitFor(m.name+" to arrive", fmt.Sprintf("%s >= %d", chatEventsJS("message"), i+1))
			got := tb.evalString(chatLastMessageJS)
			if want := "ann\t" + m.text; got != want {
				t.Errorf("%s: %s: shows %d bytes %.40q..., want %d bytes %.40q...", tb.name, m.name, len(got), got, len(want), want)
			}
		}
	}

	bob.do("leave", chromedp.Click(chromedp.CSS("#leave")))
	ann.waitFor("bob's leave notice", chatHasEventJS("leave", "bob"))
	bob.waitFor("bob's socket to close", `document.getElementById("status").dataset.state === "closed"`)
	if status := bob.evalString(`document.getElementById("status").textContent`); !strings.Contains(status, "1000") {
		t.Errorf("bob's status after leaving is %q, want a normal closure (1000)", status)
	}

	ann.screenshot("chat.png")
	ann.checkNoExceptions()
	bob.checkNoExceptions()
}

// TestBrowserEcho sends the same messages through the echo example's page.
func TestBrowserEcho(t *testing.T) {
	srv := startApp(t, echoapp.NewApp())
	browser := startBrowser(t)
	page := openTab(t, browser, "echo", srv.URL+"/")

	page.waitFor("the socket to open", `[...document.querySelectorAll("#log .status")].some(e => e.textContent === "connected")`)
	if ext := page.evalString(`ws.extensions`); !strings.HasPrefix(ext, "permessage-deflate") {
		t.Errorf("the browser's WebSocket negotiated extensions %q, want permessage-deflate", ext)
	}

	for i, m := range browserMessages {
		page.do("send "+m.name, fill("#message", m.text, m.typed), chromedp.Click(chromedp.CSS("#form button")))
		page.waitFor(m.name+" to come back", fmt.Sprintf(`document.querySelectorAll("#log .received").length >= %d`, i+1))
		got := page.evalString(`[...document.querySelectorAll("#log .received")].pop().textContent`)
		if want := "< " + m.text; got != want {
			t.Errorf("%s: shows %d bytes %.40q..., want %d bytes %.40q...", m.name, len(got), got, len(want), want)
		}
	}

	page.screenshot("echo.png")
	page.checkNoExceptions()
}
