package discovery

import "testing"

type testFlowState struct{ n int }

func TestStateOf(t *testing.T) {
	if a, b := StateOf[testFlowState](nil, nil), StateOf[testFlowState](nil, nil); a == nil || a == b {
		t.Fatalf("no flow: want a fresh state each call, got %p and %p", a, b)
	}
	f := &Flow{}
	a := StateOf[testFlowState](f, nil)
	a.n = 7
	if b := StateOf[testFlowState](f, nil); b != a || b.n != 7 {
		t.Fatalf("second call: got %p (n=%d), want the stored %p", b, b.n, a)
	}
	// Another type in State is replaced, as each dissector's own state.
	f.State = "other"
	made := 0
	c := StateOf(f, func() *testFlowState { made++; return &testFlowState{n: 3} })
	if made != 1 || c.n != 3 || f.State != any(c) {
		t.Fatalf("init: made %d, n %d, stored %v", made, c.n, f.State)
	}
	if n := testing.AllocsPerRun(100, func() { StateOf[testFlowState](f, nil) }); n != 0 {
		t.Errorf("StateOf on a flow with state: %v allocs, want 0", n)
	}
}
