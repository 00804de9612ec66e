// Package bacnet dissects BACnet (ASHRAE 135-2020) on BACnet/IP (Annex J,
// UDP 47808 and, by payload, other ports) and on Ethernet (clause 7, ISO
// 8802-2 LLC with DSAP/SSAP 0x82).
//
// What it decodes: the BVLC header (all Annex J functions, including the
// original source of a Forwarded-NPDU), the NPDU (SNET/SADR, DNET/DADR, hop
// count, network layer messages), the APDU header of all eight PDU types
// (segmentation fields included), I-Am, and ReadProperty /
// ReadPropertyMultiple acknowledgements of device object properties.
//
// Roles follow the protocol's semantics, not ports (BACnet/IP uses
// 47808<->47808): the sender of a confirmed request, Who-Is or Who-Has is a
// client; the sender of an ack, error, reject, I-Am, I-Have or
// notification, and the unicast target of a confirmed request, is a server;
// aborts and segment-acks use their SRV bit.
//
// Observations:
//   - KindService role "server" (Port = the server's own UDP port) or
//     "client" (Port = the port it sent to); once per endpoint, port and role.
//   - KindAttribute on the device endpoint: "bacnet.device_instance",
//     "bacnet.vendor_id" (I-Am, 0.95), "bacnet.vendor_name" from the ASHRAE
//     vendor table (vendors.go, 0.8) and, from ReadProperty(-Multiple) acks of
//     the device object, "bacnet.object_name" (77), "bacnet.model_name" (70),
//     "bacnet.firmware_revision" (44), "bacnet.vendor_name" (121, as the device
//     says it, 0.95), "bacnet.application_software_version" (12),
//     "bacnet.description" (28), "bacnet.location" (58). Character sets
//     UTF-8, UCS-2 and ISO 8859-1 are decoded. "bacnet.bbmd"="true" for a
//     sender of Forwarded-NPDU or BDT/FDT acks (0.9) and a unicast target of
//     BDT/FDT/foreign device requests (0.7); "bacnet.foreign_device"="true"
//     for a Register-Foreign-Device sender; "bacnet.router"="true" for a
//     sender of I-Am-Router-To-Network.
//   - The device endpoint of a message with SNET/SADR is the router's
//     IP/MAC with Sub "bacnet:net=N,adr=HEX" (see Sub), so the inventory
//     makes the routed device its own asset via the router. A Forwarded-NPDU's
//     originator is the B/IP address in the BVLC header (no MAC).
//   - KindOperation for every unicast request: confirmed services by their
//     service choice (read_property read, write_property(_multiple) write,
//     atomic_write_file program, atomic_read_file read,
//     device_communication_control and reinitialize_device control,
//     create/delete_object config, ...; see parse.go), unconfirmed services
//     as 0x200|choice (who_is/who_has discovery, time_synchronization
//     diagnostic, write_group write, you_are config), BVLC management as
//     0x100|function (read_bdt/read_fdt read, write_bdt, register_foreign_device,
//     delete_fdt_entry config). Segmented requests count once (segment 0).
//
// Known gaps: requests to broadcast addresses (Who-Is to the subnet) give
// the sender its client role but no operation (there is no peer asset);
// segmented acks are not reassembled (the first segment is parsed as far as
// it goes); errors, rejects and aborts only give roles; BACnet/IPv6 (BVLC
// type 0x82), BACnet Secure Connect and MS/TP are not decoded; the device
// attributes of a host that relays other devices' I-Ams as its own source
// (bacnet_services.pcap frame 300) land on that host, as on the wire.
package bacnet
