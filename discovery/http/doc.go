// Package http reads HTTP/1.0 and HTTP/1.1 (RFC 9112 message syntax, RFC
// 9110 semantics) on TCP 80, and on any port nobody claims through its
// heuristic Detect (a request or status line is distinctive): device web
// servers on 8080, 8000, 8888, REST gateways.
//
// Framing follows the message: a head up to the blank line (16 KiB max),
// then a Content-Length body, chunked transfer coding, or (responses without
// a length) the rest of the stream. Bodies are passed through as they arrive
// and never buffered, except up to 4 KiB of a 200 text/html response to find
// its <title>. HEAD, 1xx, 204 and 304 responses have no body; after a 101
// (WebSocket, h2c) or a CONNECT the flow is passed through unread.
//
// Observations:
//
//	service         server "server", client "client" (port = the flow's server port)
//	attribute       http.server      Server header, on the server (0.8)
//	                http.title       HTML <title> of a 200 page, on the server (0.7);
//	                                 device web UIs name the product here
//	                http.host        Host header the client used, on the server (0.6),
//	                                 unless it is an IP address literal
//	                http.user_agent  User-Agent, on the client (0.7)
//	operation       per request: get, head, options (read); post, put, patch,
//	                delete (write); connect, trace, other (other). Code is the
//	                Method constant (get 1, head 2, post 3, put 4, delete 5,
//	                options 6, patch 7, connect 8, trace 9, other 0).
//	comm_attribute  encrypted=false; authenticated=true when an Authorization
//	                header is sent; cleartext_credentials=true for Basic
//	                authentication (the header value is never stored)
//
// Each attribute key is emitted once per flow (first value). Known gaps:
// HTTP/2 (h2c prior knowledge) and HTTP/3 are not read; compressed bodies are
// not inflated (no title); credentials in form bodies (POST login=...) are
// not detected; pipelined HEAD requests are paired only with the last one;
// after a CONNECT the proxy's reply is not read (no server role for it).
package http
