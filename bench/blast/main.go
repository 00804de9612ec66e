//go:build linux

// Command blast is the live benchmark's traffic sender: it loads the first
// frames of a pcap or pcapng file into memory once, then transmits them on a
// veth interface through an AF_PACKET TX ring (TPACKET_V2,
// PACKET_QDISC_BYPASS, one send call per batch), flat out or paced to a
// packet rate, and reports what it sent. It is much faster than tcpreplay,
// which reads and sends one frame per system call.
//
//	blast -i otzbr0 [-n 1000000] [-count N] [-pps 500000] FILE
//	blast -sink -i otzbc0 [-count N] [-idle 2s]
//
// It refuses any interface that is not a veth in a network namespace other
// than the initial one (run it with ip netns exec), so it can never put
// traffic on a real network.
//
// -sink is the trivial reader for measuring the sender and the kernel
// alone: a TPACKET_V3 ring whose blocks are counted and released.
//
// Output is one line of key=value pairs on stdout (for bench/live.sh).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("blast", flag.ContinueOnError)
	iface := fs.String("i", "", "veth `IFACE` to send on (or read, with -sink)")
	n := fs.Int("n", 1000000, "load the first `N` frames (0: all)")
	count := fs.Int("count", 0, "send `N` frames, going round the loaded ones (default: each once); with -sink stop after N")
	pps := fs.Float64("pps", 0, "target `RATE` in packets/s (0: flat out)")
	batch := fs.Int("batch", 256, "at most `N` frames per send call")
	threads := fs.Int("threads", 1, "send from `N` threads, frames dealt out by host pair (each conversation stays in order)")
	mmsg := fs.Bool("mmsg", false, "send with sendmmsg(2) instead of the TX ring")
	sink := fs.Bool("sink", false, "count frames arriving on IFACE instead of sending")
	idle := fs.Duration("idle", 2*time.Second, "with -sink: stop when nothing arrived for `D` after the first frame")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: blast -i IFACE [-n N] [-count N] [-pps RATE] FILE\n       blast -sink -i IFACE [-count N] [-idle D]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *iface == "" {
		fmt.Fprintln(os.Stderr, "blast: -i IFACE is required")
		return 2
	}
	if *sink {
		stop := make(chan struct{})
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() { <-sig; close(stop) }()
		res, err := Sink(*iface, SinkOptions{Count: uint64(*count), Idle: *idle, Stop: stop,
			Ready: func() { fmt.Fprintf(os.Stderr, "sink: listening on %s\n", *iface) }})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		rate := 0.0
		if res.Span > 0 {
			rate = float64(res.Packets) / res.Span.Seconds()
		}
		fmt.Printf("received=%d bytes=%d span=%.3f pps=%.0f kernel_packets=%d kernel_drops=%d freezes=%d user=%.2f sys=%.2f\n",
			res.Packets, res.Bytes, res.Span.Seconds(), rate, res.KernelPackets, res.KernelDrops, res.Freez, res.User.Seconds(), res.Sys.Seconds())
		return 0
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	if err := CheckTestInterface(*iface); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	t0 := time.Now()
	fr, trunc, err := Load(fs.Arg(0), *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "blast:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "blast: loaded %d frames (%d bytes, longest %d, %d cut short by the snap length) in %s\n",
		fr.Len(), fr.Bytes(), fr.Max(), trunc, time.Since(t0).Round(time.Millisecond))
	res, err := Send(*iface, fr, SendOptions{Rate: *pps, Count: *count, Batch: *batch, Mmsg: *mmsg, Threads: *threads})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("sent=%d bytes=%d seconds=%.3f pps=%.0f mbps=%.1f tx_packets=%d tx_dropped=%d drop_calls=%d calls=%d user=%.2f sys=%.2f\n",
		res.Sent, res.Bytes, res.Elapsed.Seconds(), res.PPS(), res.Mbps(), res.TxPackets, res.TxDropped, res.DropCalls, res.Calls,
		res.User.Seconds(), res.Sys.Seconds())
	if !res.CountersOK {
		fmt.Fprintln(os.Stderr, "blast: interface counters unavailable (tx_packets/tx_dropped are 0)")
	}
	return 0
}
