// Package live is passive live capture: it reads one or more network
// interfaces through AF_PACKET sockets and runs the frames through the same
// engine, inventory Builder and batched store commits as `otzone ingest`,
// so a live capture and an offline ingest of the same traffic give the same
// inventory (only evidence names and times differ).
//
// Sockets: TPACKET_V3 memory-mapped rings read a block at a time by this
// package (ring_linux.go: no lock, copy or allocation per frame), falling
// back on a plain packet socket (pcapgo.EthernetHandle) when the kernel
// refuses the ring. Every socket is promiscuous and receive-only: a Handle
// has no write method and nothing in this package transmits. The capture
// filter (package filter, tcpdump syntax) is compiled here and attached in
// the kernel; its accept value is the snap length, so the kernel truncates
// too. A ring socket is opened with protocol 0 and bound to its interface
// only after the filter is attached, so no frame of another interface and
// none the filter rejects enters it; on the fallback socket, frames that
// arrived between bind and filter attach are checked by the same
// expression in user space. The kernel moves VLAN tags out of received
// frames; they are put back (with their TPID and priority bits, VID 0
// priority tags included, from the frame's TP_STATUS_VLAN_VALID flag) so
// that the engine sees what a capture file holds. On the fallback socket a
// tag with TCI 0 cannot be told from "no tag" and is not restored.
//
// Opening a packet socket needs root or CAP_NET_RAW:
//
//	sudo setcap cap_net_raw+ep ./otzone
//
// (promiscuous mode is requested through PACKET_ADD_MEMBERSHIP, which
// CAP_NET_RAW covers; it ends when the socket closes).
//
// Concurrency: one reader goroutine per interface copies frames out of the
// ring into batches; one goroutine owns the engine, the Builder, the pcapng
// writer and the commits. When processing falls behind, readers wait for a
// free batch so that the kernel ring absorbs the burst and the kernel's drop
// counter tells; frames are dropped in user space (AppDrops) only when
// processing is stuck for 2 s (the database locked by another writer).
//
// Loss is reported from the sockets' PACKET_STATISTICS: packets (every frame
// that passed the filter, dropped ones included), drops (the ring was full)
// and, for TPACKET_V3, queue freezes. The source row of each interface
// (kind "live") carries them in its capture_stats.
//
// Known gaps: Ethernet (and loopback) interfaces only; no PACKET_FANOUT
// (one socket, one reader per interface); the frame numbers in evidence
// ("live:eth1#frame=N") count frames the socket delivered on that
// interface, which match the --write-pcap files only while one interface
// is captured and no file has rotated.
package live
