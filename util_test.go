package websocket

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestComputeAcceptKey(t *testing.T) {
	tests := []struct {
		key, want string
	}{
		// The worked example of RFC 6455 section 1.3 (also checked against
		// Python hashlib: the value is 28 characters, as any base64 SHA-1 is).
		{"dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
		// base64(SHA-1(GUID)): the empty key still hashes the GUID.
		{"", "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w="},
		// A key longer than the stack buffer must give the same digest as
		// hashing the concatenation directly.
		{strings.Repeat("x", 100), "DJTE+uYDnPxiT+W6VvIG/iPUxv8="},
	}
	for _, tt := range tests {
		if got := computeAcceptKey(tt.key); got != tt.want {
			t.Errorf("computeAcceptKey(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestComputeAcceptKeyAllocations(t *testing.T) {
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	// Only the returned string may be allocated.
	if allocs := testing.AllocsPerRun(100, func() { computeAcceptKey(key) }); allocs > 1 {
		t.Errorf("computeAcceptKey allocates %v times per call, want at most 1", allocs)
	}
}

func TestNewChallengeKey(t *testing.T) {
	const keys = 64
	seen := make(map[string]bool, keys)
	for range keys {
		key, err := newChallengeKey()
		if err != nil {
			t.Fatalf("newChallengeKey: %v", err)
		}
		if !isValidChallengeKey(key) {
			t.Fatalf("newChallengeKey returned %q, which isValidChallengeKey rejects", key)
		}
		if seen[key] {
			t.Fatalf("newChallengeKey returned %q twice", key)
		}
		seen[key] = true
	}
}

func TestIsValidChallengeKey(t *testing.T) {
	std := base64.StdEncoding.EncodeToString
	// 0xfb 0xff encodes to "+/8" in the standard alphabet and "-_8" in the
	// URL-safe one.
	urlSafeBytes := append([]byte{0xfb, 0xff}, make([]byte, 14)...)
	tests := []struct {
		name string
		key  string
		want bool
	}{
		{"RFC example", "dGhlIHNhbXBsZSBub25jZQ==", true},
		{"16 bytes with + and /", std(urlSafeBytes), true},
		{"15 bytes", std(make([]byte, 15)), false},
		{"17 bytes", std(make([]byte, 17)), false},
		{"not base64", "this is not base64 at all", false},
		{"URL-safe alphabet", base64.URLEncoding.EncodeToString(urlSafeBytes), false},
		{"missing padding", "dGhlIHNhbXBsZSBub25jZQ", false},
		{"single pad", "dGhlIHNhbXBsZSBub25jZQ=", false},
		{"empty", "", false},
		{"trailing newline", "dGhlIHNhbXBsZSBub25jZQ==\n", false},
		{"newline inside, length 24", "dGhlIHNhbXBsZSBub25jZ\nQ==", false},
		{"newline before padding, length 24", "dGhlIHNhbXBsZSBub25jZQ=\n", false},
		{"leading space", " dGhlIHNhbXBsZSBub25jZQ==", false},
		{"padding in the middle", "dGhlIHNh==BsZSBub25jZQ==", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isValidChallengeKey(tt.key); got != tt.want {
				t.Errorf("isValidChallengeKey(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

func TestEqualASCIIFold(t *testing.T) {
	tests := []struct {
		s, t string
		want bool
	}{
		{"", "", true},
		{"websocket", "WebSocket", true},
		{"UPGRADE", "upgrade", true},
		{"abc", "abd", false},
		{"abc", "ab", false},
		{"", "a", false},
		// '@' and '`' (and '[' and '{') differ only in bit 0x20 but are not
		// letters.
		{"@", "`", false},
		{"[", "{", false},
		// Non-ASCII bytes must match exactly: no Unicode folding.
		{"\u212a", "k", false},
		{"\u00e9", "\u00c9", false},
		{"caf\u00e9", "CAF\u00e9", true},
	}
	for _, tt := range tests {
		if got := equalASCIIFold(tt.s, tt.t); got != tt.want {
			t.Errorf("equalASCIIFold(%q, %q) = %v, want %v", tt.s, tt.t, got, tt.want)
		}
	}
}

// headerWithLines builds a header with one line per value under name.
func headerWithLines(name string, values ...string) http.Header {
	h := http.Header{}
	for _, v := range values {
		h.Add(name, v)
	}
	return h
}

func TestHeaderTokens(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []string
	}{
		{"absent", nil, nil},
		{"empty line", []string{""}, nil},
		{"only separators and spaces", []string{" , ,\t,"}, nil},
		{"single", []string{"chat"}, []string{"chat"}},
		{"odd spacing", []string{"  chat ,\tsuperchat\t,v2 "}, []string{"chat", "superchat", "v2"}},
		{"empty elements", []string{",chat,,  ,x,"}, []string{"chat", "x"}},
		{"case kept", []string{"Chat, SUPER"}, []string{"Chat", "SUPER"}},
		{"several lines", []string{"a, b", "", "c"}, []string{"a", "b", "c"}},
		{"inner space kept", []string{"a b, c"}, []string{"a b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := headerWithLines("X-Test", tt.lines...)
			if got := headerTokens(h, "X-Test"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("headerTokens(%q) = %q, want %q", tt.lines, got, tt.want)
			}
		})
	}
}

func TestHeaderContainsToken(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		token string
		want  bool
	}{
		{"absent", nil, "upgrade", false},
		{"exact", []string{"upgrade"}, "upgrade", true},
		{"case", []string{"UpGrAdE"}, "upgrade", true},
		{"in list", []string{"keep-alive, Upgrade"}, "upgrade", true},
		{"tabs and spaces", []string{"keep-alive,\t Upgrade \t"}, "upgrade", true},
		{"second line", []string{"keep-alive", "close, upgrade"}, "upgrade", true},
		{"prefix is not a match", []string{"upgraded"}, "upgrade", false},
		{"substring is not a match", []string{"no-upgrade"}, "upgrade", false},
		{"inner space is not trimmed", []string{"up grade"}, "upgrade", false},
		{"split across lines is not a match", []string{"up", "grade"}, "upgrade", false},
		{"non-ASCII fold is not a match", []string{"\u212aeep-alive"}, "keep-alive", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := headerWithLines("Connection", tt.lines...)
			if got := headerContainsToken(h, "Connection", tt.token); got != tt.want {
				t.Errorf("headerContainsToken(%q, %q) = %v, want %v", tt.lines, tt.token, got, tt.want)
			}
		})
	}
}

func TestHeaderHelpersCanonicalizeName(t *testing.T) {
	// net/http stores received headers under canonical keys; callers may
	// spell the name the way the RFC does.
	h := headerWithLines("Sec-WebSocket-Protocol", "chat")
	if !headerContainsToken(h, "sec-websocket-protocol", "CHAT") {
		t.Error("headerContainsToken did not find a token under a lower-case header name")
	}
	if got := headerTokens(h, "SEC-WEBSOCKET-PROTOCOL"); !reflect.DeepEqual(got, []string{"chat"}) {
		t.Errorf("headerTokens with an upper-case name = %q, want [chat]", got)
	}
}

func TestSubprotocols(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []string
	}{
		{"none", nil, nil},
		{"empty", []string{" "}, nil},
		{"one", []string{"chat"}, []string{"chat"}},
		{"trimmed", []string{" chat ,  superchat "}, []string{"chat", "superchat"}},
		{"two lines", []string{"chat", "superchat, v2.json"}, []string{"chat", "superchat", "v2.json"}},
		{"empty entries dropped", []string{"chat,,superchat,"}, []string{"chat", "superchat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
			for _, v := range tt.lines {
				r.Header.Add("Sec-WebSocket-Protocol", v)
			}
			if got := Subprotocols(r); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Subprotocols(%q) = %q, want %q", tt.lines, got, tt.want)
			}
		})
	}
}

func TestIsWebSocketUpgrade(t *testing.T) {
	tests := []struct {
		name       string
		connection []string
		upgrade    []string
		want       bool
	}{
		{"standard", []string{"Upgrade"}, []string{"websocket"}, true},
		{"case", []string{"UPGRADE"}, []string{"WebSocket"}, true},
		{"Firefox style list", []string{"keep-alive, Upgrade"}, []string{"websocket"}, true},
		{"Connection over two lines", []string{"keep-alive", "upgrade"}, []string{"websocket"}, true},
		{"Upgrade list", []string{"upgrade"}, []string{"h2c, websocket"}, true},
		{"no Connection", nil, []string{"websocket"}, false},
		{"no Upgrade", []string{"Upgrade"}, nil, false},
		{"Connection close", []string{"close"}, []string{"websocket"}, false},
		{"other protocol", []string{"Upgrade"}, []string{"h2c"}, false},
		{"versioned protocol", []string{"Upgrade"}, []string{"websocket/13"}, false},
		{"Connection names the token only as part of another", []string{"upgraded"}, []string{"websocket"}, false},
		{"neither", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
			for _, v := range tt.connection {
				r.Header.Add("Connection", v)
			}
			for _, v := range tt.upgrade {
				r.Header.Add("Upgrade", v)
			}
			if got := IsWebSocketUpgrade(r); got != tt.want {
				t.Errorf("IsWebSocketUpgrade(Connection %q, Upgrade %q) = %v, want %v",
					tt.connection, tt.upgrade, got, tt.want)
			}
		})
	}
}

func TestCheckSameOrigin(t *testing.T) {
	tests := []struct {
		name   string
		host   string
		origin []string // nil: no Origin header
		want   bool
	}{
		{"no Origin", "example.com", nil, true},
		{"same host", "example.com", []string{"http://example.com"}, true},
		{"same host, other scheme", "example.com", []string{"https://example.com"}, true},
		{"same host with path", "example.com", []string{"http://example.com/app"}, true},
		{"same host and port", "example.com:8080", []string{"http://example.com:8080"}, true},
		{"case difference", "Example.COM", []string{"http://eXample.com"}, true},
		{"different host", "example.com", []string{"http://evil.example"}, false},
		{"subdomain", "example.com", []string{"http://www.example.com"}, false},
		{"different port", "example.com", []string{"http://example.com:8080"}, false},
		{"port only on request", "example.com:8080", []string{"http://example.com"}, false},
		{"malformed Origin", "example.com", []string{"http://[::1"}, false},
		{"malformed escape", "example.com", []string{"http://example.com/%zz"}, false},
		{"null", "example.com", []string{"null"}, false},
		{"empty Origin", "example.com", []string{""}, false},
		{"non-ASCII fold", "kxample.com", []string{"http://\u212axample.com"}, false},
		{"first line is checked", "example.com", []string{"http://evil.example", "http://example.com"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
			r.Host = tt.host
			for _, v := range tt.origin {
				r.Header.Add("Origin", v)
			}
			if got := checkSameOrigin(r); got != tt.want {
				t.Errorf("checkSameOrigin(Host %q, Origin %q) = %v, want %v", tt.host, tt.origin, got, tt.want)
			}
		})
	}
}

// extParam, extParamValue and extOffer shorten the expected values of the parseExtensions tests.
func extParam(name string) extensionParam { return extensionParam{name: name} }

func extParamValue(name, value string) extensionParam {
	return extensionParam{name: name, value: value, hasValue: true}
}

func extOffer(name string, params ...extensionParam) extension {
	return extension{name: name, params: params}
}

func TestParseExtensions(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []extension
	}{
		{"absent", nil, nil},
		{"empty line", []string{""}, nil},
		{"only empty elements", []string{" ,\t, "}, nil},
		{"bare", []string{"permessage-deflate"}, []extension{extOffer("permessage-deflate")}},
		{
			"parameter without value",
			[]string{"permessage-deflate; client_max_window_bits"},
			[]extension{extOffer("permessage-deflate", extParam("client_max_window_bits"))},
		},
		{
			"quoted value",
			[]string{`permessage-deflate; client_max_window_bits="10"`},
			[]extension{extOffer("permessage-deflate", extParamValue("client_max_window_bits", "10"))},
		},
		{
			"token value and several parameters",
			[]string{"permessage-deflate; server_max_window_bits=10; server_no_context_takeover; client_no_context_takeover"},
			[]extension{extOffer("permessage-deflate",
				extParamValue("server_max_window_bits", "10"),
				extParam("server_no_context_takeover"),
				extParam("client_no_context_takeover"))},
		},
		{
			"several offers across two lines",
			[]string{
				"permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate",
				"x-webkit-deflate-frame, permessage-deflate; client_max_window_bits",
			},
			[]extension{
				extOffer("permessage-deflate", extParam("client_max_window_bits"), extParamValue("server_max_window_bits", "10")),
				extOffer("permessage-deflate"),
				extOffer("x-webkit-deflate-frame"),
				extOffer("permessage-deflate", extParam("client_max_window_bits")),
			},
		},
		{"x-webkit-deflate-frame", []string{"x-webkit-deflate-frame"}, []extension{extOffer("x-webkit-deflate-frame")}},
		{
			"empty elements and odd spacing",
			[]string{"  ,permessage-deflate ,, foo ;bar = baz ,", ","},
			[]extension{extOffer("permessage-deflate"), extOffer("foo", extParamValue("bar", "baz"))},
		},
		{
			"tabs",
			[]string{"foo\t;\ta\t=\t\"1\"\t;b"},
			[]extension{extOffer("foo", extParamValue("a", "1"), extParam("b"))},
		},
		{
			"case kept as sent",
			[]string{"PerMessage-Deflate; Server_No_Context_Takeover"},
			[]extension{extOffer("PerMessage-Deflate", extParam("Server_No_Context_Takeover"))},
		},
		{"every tchar", []string{"!#$%&'*+-.^_`|~09azAZ"}, []extension{extOffer("!#$%&'*+-.^_`|~09azAZ")}},
		{
			"backslash escapes",
			[]string{`foo; a="x\"y\\z\q"`},
			[]extension{extOffer("foo", extParamValue("a", `x"y\zq`))},
		},
		{"escape first", []string{`foo; a="\"x"`}, []extension{extOffer("foo", extParamValue("a", `"x`))}},
		{"empty quoted value", []string{`foo; a=""`}, []extension{extOffer("foo", extParamValue("a", ""))}},
		{
			"separators inside quotes",
			[]string{`foo; a="1, 2; b=3", bar`},
			[]extension{extOffer("foo", extParamValue("a", "1, 2; b=3")), extOffer("bar")},
		},
		{"obs-text inside quotes", []string{"foo; a=\"\xe9\\\xff\""}, []extension{extOffer("foo", extParamValue("a", "\xe9\xff"))}},
		{"escaped tab", []string{"foo; a=\"\\\t\""}, []extension{extOffer("foo", extParamValue("a", "\t"))}},
		{
			"repeated parameter kept for the caller to reject",
			[]string{"foo; a=1; a=2"},
			[]extension{extOffer("foo", extParamValue("a", "1"), extParamValue("a", "2"))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseExtensions(headerWithLines("Sec-WebSocket-Extensions", tt.lines...))
			if err != nil {
				t.Fatalf("parseExtensions(%q) error: %v", tt.lines, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseExtensions(%q)\n got %+v\nwant %+v", tt.lines, got, tt.want)
			}
		})
	}
}

func TestParseExtensionsErrors(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		where string // position the error must name
		what  string // description the error must contain
	}{
		{"empty parameter", []string{"permessage-deflate;;"}, "line 1, offset 19", `expected parameter name, found ';'`},
		{"missing value", []string{"permessage-deflate; a="}, "line 1, offset 22", `expected value of parameter "a", found end of line`},
		{"missing value before comma", []string{"foo; a= , bar"}, "line 1, offset 8", `expected value of parameter "a", found ','`},
		{"unterminated quoted string", []string{`permessage-deflate; a="unterminated`}, "line 1, offset 22", `unterminated quoted string in value of parameter "a"`},
		{"backslash at end", []string{`foo; a="x\`}, "line 1, offset 7", "unterminated quoted string"},
		{"missing name", []string{"; a=b"}, "line 1, offset 0", `expected extension name, found ';'`},
		{"missing name after comma", []string{"foo, ;a"}, "line 1, offset 5", `expected extension name, found ';'`},
		{"space inside element", []string{"foo bar"}, "line 1, offset 4", `expected ';' or ',' after "foo", found 'b'`},
		{"trailing semicolon", []string{"foo;"}, "line 1, offset 4", "expected parameter name, found end of line"},
		{"parameter without name", []string{"foo; =1"}, "line 1, offset 5", `expected parameter name, found '='`},
		{"second equals", []string{"foo; a=b=c"}, "line 1, offset 8", `expected ';' or ',' after "foo", found '='`},
		{"text after quoted value", []string{`foo; a="x"y`}, "line 1, offset 10", `found 'y'`},
		{"space inside token value", []string{"foo; a=b c"}, "line 1, offset 9", `found 'c'`},
		{"control character in quoted string", []string{"foo; a=\"x\x01\""}, "line 1, offset 9", `invalid character '\x01' in value of parameter "a"`},
		{"DEL in quoted string", []string{"foo; a=\"\x7f\""}, "line 1, offset 8", `invalid character '\x7f'`},
		{"escaped control character", []string{"foo; a=\"\\\x01\""}, "line 1, offset 9", `invalid escaped character '\x01'`},
		{"non-token byte in name", []string{"fo\xe9o"}, "line 1, offset 2", "expected ';' or ','"},
		{"separator in name", []string{"foo/1"}, "line 1, offset 3", `found '/'`},
		{"non-token value", []string{"foo; a=@"}, "line 1, offset 7", `expected value of parameter "a", found '@'`},
		{"quoted extension name", []string{`"foo"`}, "line 1, offset 0", `expected extension name, found '"'`},
		{"quoted parameter name", []string{`foo; "a"=1`}, "line 1, offset 5", `expected parameter name, found '"'`},
		{"error on second line", []string{"permessage-deflate", "foo;;"}, "line 2, offset 4", "expected parameter name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseExtensions(headerWithLines("Sec-WebSocket-Extensions", tt.lines...))
			if err == nil {
				t.Fatalf("parseExtensions(%q) = %+v, want an error", tt.lines, got)
			}
			if got != nil {
				t.Errorf("parseExtensions(%q) returned %+v with its error, want nil", tt.lines, got)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.where) || !strings.Contains(msg, tt.what) {
				t.Errorf("parseExtensions(%q) error %q, want it to name %q and %q", tt.lines, msg, tt.where, tt.what)
			}
		})
	}
}

// testFormatExtensions writes extensions back as one Sec-WebSocket-Extensions
// line, quoting a value only when it is not a token.
func testFormatExtensions(extensions []extension) string {
	var b strings.Builder
	for i, ext := range extensions {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(ext.name)
		for _, p := range ext.params {
			b.WriteString("; ")
			b.WriteString(p.name)
			if !p.hasValue {
				continue
			}
			b.WriteByte('=')
			if testIsToken(p.value) {
				b.WriteString(p.value)
				continue
			}
			b.WriteByte('"')
			for j := 0; j < len(p.value); j++ {
				if c := p.value[j]; c == '"' || c == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(p.value[j])
			}
			b.WriteByte('"')
		}
	}
	return b.String()
}

// testIsToken reports whether s is a non-empty run of tchar.
func testIsToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return s != ""
}

func TestFormatExtensionsQuotes(t *testing.T) {
	// The fuzz target's round trip is only as good as this formatter.
	in := []extension{extOffer("a", extParam("b"), extParamValue("c", "1"), extParamValue("d", `x "y" \z`), extParamValue("e", ""))}
	const want = `a; b; c=1; d="x \"y\" \\z"; e=""`
	if got := testFormatExtensions(in); got != want {
		t.Errorf("testFormatExtensions = %q, want %q", got, want)
	}
}

func FuzzParseExtensions(f *testing.F) {
	seeds := [][2]string{
		{"permessage-deflate", ""},
		{"permessage-deflate; client_max_window_bits", "x-webkit-deflate-frame"},
		{`permessage-deflate; client_max_window_bits="10"`, ""},
		{"permessage-deflate; server_max_window_bits=10; client_no_context_takeover, permessage-deflate", "foo"},
		{`foo; a="x\"y\\z", bar ; b = c`, " , "},
		{"permessage-deflate;;", ""},
		{"permessage-deflate; a=", ""},
		{`permessage-deflate; a="unterminated`, ""},
		{"; a=b", ""},
		{"foo bar", "baz"},
		{"foo; a=\"\xe9\t\"", ""},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		h := http.Header{"Sec-Websocket-Extensions": {line1, line2}}
		extensions, err := parseExtensions(h)
		if err != nil {
			if extensions != nil {
				t.Fatalf("error %v returned with extensions %+v", err, extensions)
			}
			return
		}
		for _, ext := range extensions {
			if !testIsToken(ext.name) {
				t.Fatalf("accepted extension name %q is not a token", ext.name)
			}
			for _, p := range ext.params {
				if !testIsToken(p.name) {
					t.Fatalf("accepted parameter name %q is not a token", p.name)
				}
				if !p.hasValue && p.value != "" {
					t.Fatalf("parameter %q has value %q but hasValue false", p.name, p.value)
				}
			}
		}
		formatted := testFormatExtensions(extensions)
		again, err := parseExtensions(http.Header{"Sec-Websocket-Extensions": {formatted}})
		if err != nil {
			t.Fatalf("re-parsing %q (formatted from %q, %q): %v", formatted, line1, line2, err)
		}
		if !reflect.DeepEqual(again, extensions) {
			t.Fatalf("round trip changed the result:\n first %+v\nsecond %+v\nformatted %q", extensions, again, formatted)
		}
	})
}

func BenchmarkComputeAcceptKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ==")
	}
}

func BenchmarkIsWebSocketUpgrade(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
	r.Header.Set("Connection", "keep-alive, Upgrade")
	r.Header.Set("Upgrade", "websocket")
	b.ReportAllocs()
	for b.Loop() {
		if !IsWebSocketUpgrade(r) {
			b.Fatal("IsWebSocketUpgrade = false")
		}
	}
}

func BenchmarkParseExtensions(b *testing.B) {
	// What Chromium sends.
	h := http.Header{"Sec-Websocket-Extensions": {"permessage-deflate; client_max_window_bits"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseExtensions(h); err != nil {
			b.Fatal(err)
		}
	}
}
