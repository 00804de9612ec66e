//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "blast: Linux only (AF_PACKET)")
	os.Exit(1)
}
