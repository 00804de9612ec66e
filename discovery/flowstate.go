package discovery

// StateOf returns f's per-flow state of type *T, made by init (new(T) when
// init is nil) and stored in f.State the first time. Without a flow (a
// caller that does not track flows) it returns a fresh state each time.
func StateOf[T any](f *Flow, init func() *T) *T {
	mk := init
	if mk == nil {
		mk = func() *T { return new(T) }
	}
	if f == nil {
		return mk()
	}
	if st, ok := f.State.(*T); ok {
		return st
	}
	st := mk()
	f.State = st
	return st
}
