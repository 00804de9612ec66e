package telnet

// Telnet command bytes (RFC 854).
const (
	IAC  = 255
	DONT = 254
	DO   = 253
	WONT = 252
	WILL = 251
	SB   = 250
	SE   = 240
)

// Stripper removes IAC sequences from a byte stream fed in pieces; it keeps
// its position inside a sequence between calls.
type Stripper struct {
	state uint8 // 0 data, 1 after IAC, 2 after WILL/WONT/DO/DONT, 3 in SB, 4 in SB after IAC
}

// Strip appends the data bytes of in to out and returns out.
func (s *Stripper) Strip(in, out []byte, max int) []byte {
	for _, c := range in {
		switch s.state {
		case 0:
			if c == IAC {
				s.state = 1
				continue
			}
			if len(out) < max {
				out = append(out, c)
			}
		case 1:
			switch {
			case c == IAC: // escaped 0xff data byte
				s.state = 0
				if len(out) < max {
					out = append(out, c)
				}
			case c >= WILL && c <= DONT:
				s.state = 2
			case c == SB:
				s.state = 3
			default:
				s.state = 0 // two-byte command (NOP, GA, ...)
			}
		case 2:
			s.state = 0 // the option byte
		case 3:
			if c == IAC {
				s.state = 4
			}
		case 4:
			if c == SE {
				s.state = 0
			} else {
				s.state = 3
			}
		}
	}
	return out
}
