package main

import (
	"encoding/json"
	"os"
	"testing"
)

// TestFuzzingClientConfigNamesEveryEndpoint keeps config/fuzzingclient.json
// in step with the endpoints: each is an agent of its own, at its path on
// the server's default address.
func TestFuzzingClientConfigNamesEveryEndpoint(t *testing.T) {
	raw, err := os.ReadFile("config/fuzzingclient.json")
	if err != nil {
		t.Fatal(err)
	}
	var config struct {
		Servers []struct{ Agent, URL string }
		Cases   []string
	}
	if err := json.Unmarshal(raw, &config); err != nil {
		t.Fatal(err)
	}
	if len(config.Servers) != len(endpoints) {
		t.Fatalf("%d servers in the config, %d endpoints", len(config.Servers), len(endpoints))
	}
	for i, e := range endpoints {
		s := config.Servers[i]
		if s.Agent != e.agent || s.URL != "ws://127.0.0.1:9001"+e.path {
			t.Errorf("server %d: agent %q at %q, want %q at %q", i, s.Agent, s.URL, e.agent, "ws://127.0.0.1:9001"+e.path)
		}
	}
	if len(config.Cases) != 1 || config.Cases[0] != "*" {
		t.Errorf("cases %v, want every case", config.Cases)
	}
}
