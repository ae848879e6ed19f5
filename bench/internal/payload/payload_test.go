package payload

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestMessagesAreValidJSONOfTheirSize(t *testing.T) {
	tests := []struct {
		name string
		msgs [][]byte
		size int
	}{
		{"documents", Documents(8), DocumentSize},
		{"events", Events(1024), EventSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			for i, m := range tt.msgs {
				if len(m) != tt.size {
					t.Errorf("message %d has %d bytes, want %d", i, len(m), tt.size)
				}
				if !json.Valid(m) {
					t.Errorf("message %d is not valid JSON: %.80s", i, m)
				}
				if seen[string(m)] {
					t.Errorf("message %d repeats an earlier one", i)
				}
				seen[string(m)] = true
			}
		})
	}
}

func TestMessagesAreTheSameEveryRun(t *testing.T) {
	if !bytes.Equal(Documents(2)[1], Documents(2)[1]) {
		t.Errorf("Documents differ from one call to the next")
	}
	if !bytes.Equal(Events(3)[2], Events(3)[2]) {
		t.Errorf("Events differ from one call to the next")
	}
}
