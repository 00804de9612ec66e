package slmp

import (
	"testing"

	"github.com/otzone/otzone/discovery"
)

// detect's early refusal (without building FrameLen's error) takes only
// subheaders FrameLen refuses too, and keeps the four SLMP ones: all
// 65 536 subheaders, checked on a 13-octet frame.
func TestDetectEarlyRejectIsFrameLens(t *testing.T) {
	b := make([]byte, 13)
	for v := range 1 << 16 {
		b[0], b[1] = byte(v>>8), byte(v)
		if subheaderLen(b[0], b[1]) != 0 {
			continue
		}
		if v == 0x5000 || v == 0xd000 || v == 0x5400 || v == 0xd400 {
			t.Fatalf("subheader %#04x refused", v)
		}
		if _, err := FrameLen(b); err == nil {
			t.Fatalf("subheader %#04x: refused early, FrameLen accepts it", v)
		}
		if detect(b, false) != discovery.No || detect(b, true) != discovery.No {
			t.Fatalf("subheader %#04x: detect did not refuse", v)
		}
	}
}
