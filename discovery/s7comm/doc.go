// Package s7comm owns ISO-TSAP (TCP 102): TPKT (RFC 1006) + COTP (ISO
// 8073 class 0), then by the first COTP data payload of a flow:
//
//   - 0x32: S7comm (Siemens S7-300/400/1200 "S7 protocol"), flow protocol
//     "s7comm";
//   - 0x72: S7comm-plus (S7-1200/1500), "s7comm_plus";
//   - an ISO 8327 session SPDU: ISO presentation + ACSE + MMS (IEC 61850,
//     ISO 9506), "mms", parsed by package iec61850.
//
// No public specification exists for S7comm and S7comm-plus; the layouts
// follow the Wireshark s7comm dissector and Thomas Wiens' s7comm_plus
// plugin (read for facts), checked against the shared captures.
//
// Detect (Heuristic: reliable on any port) accepts a COTP CR/CC carrying
// TSAP parameters (an RDP X.224 request carries a cookie or rdpNegReq and
// is refused) or a DT whose payload is S7comm/S7comm-plus/ISO session.
// COTP DT fragments are reassembled to the end-of-TSDU mark (64 KiB cap).
//
// Emits:
//   - services for the decided protocol (server/client, tcp, the server port);
//   - comm attributes: cotp.calling_tsap / cotp.called_tsap ("0x0102", or
//     text like "SIMATIC-ROOT-HMI"), and for S7comm the called TSAP decoded
//     as s7.connection_type (pg/op/s7_basic), s7.rack, s7.slot;
//     s7.pdu_length from the Setup Communication ack; s7plus.version (the
//     header's version byte: 1, 2 or 3) and s7plus.integrity "true" for V3;
//   - operations for every request: S7comm jobs (read_var read; write_var
//     write; request_download/download_block/download_ended program;
//     start_upload/upload/end_upload read — an upload copies the program out
//     and changes nothing; plc_stop control; plc_control (PI service) is
//     program for _INSE/_DELE/_MODU/_LINK… and control for P_PROGRAM,
//     _GARB and others; setup_communication other) and userdata requests
//     (read_szl diagnostic, block list/info read, read_clock read,
//     set_clock config, security/password config, NC programming program;
//     code = group<<8|subfunction). S7comm-plus requests (opcode 0x31) by
//     function code: get_multi_variables/explore/get_* read,
//     set_multi_variables/set_variable write, invoke control,
//     create_object/delete_object other (they carry both session set-up and
//     program changes, which the header cannot tell apart). MMS requests:
//     see package iec61850.
//   - attributes on the PLC (confidence 0.95) from Read SZL replies, with
//     userdata fragments reassembled: SZL 0x0011 index 1 → s7.order_number,
//     index 7 → s7.firmware ("V3.2.6": Ausbg 'V'+major, Ausbe minor.patch;
//     index 0x0081 is the boot loader, not the firmware); SZL 0x001C index
//     1 s7.plc_name, 2 s7.module_name, 3 s7.plant_tag, 4 s7.copyright,
//     5 s7.serial_number, 7 s7.module_type, 8 s7.memory_card_serial,
//     0x0B s7.location. S7comm-plus session set-up replies (CreateObject
//     in a version-1 PDU): the ServerSessionVersion string
//     ("6ES7 511-1AK00-0AB0 ;V2.1") gives s7.order_number and s7.firmware
//     at confidence 0.7 (not seen in any shared capture). MMS Identify
//     replies: mms.vendor, mms.model, mms.revision.
//
// Errors: S7 acks with an error class and userdata error codes are not
// reported (only requests are operations). Malformed TPKT/COTP stops the
// flow via PDULen; malformed S7 PDUs return an error.
//
// Known gaps: S7comm-plus payloads (object ids, variable addresses) are
// not decoded, and its V3 integrity
// digest is not verified; encrypted S7comm-plus (TLS, firmware ≥ V2.9) is
// just TLS on 102 and is not recognised; S7 block contents are not parsed;
// the PI service name is not kept in the operation (name "plc_control").
package s7comm
