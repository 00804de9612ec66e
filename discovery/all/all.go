// Package all registers every protocol dissector with the discovery
// registry. Import it for its side effects; adding a protocol is one line
// here (packetbeat's include/list.go).
package all

import (
// Protocol packages are added here as they land, one blank import each.
)
