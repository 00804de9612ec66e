// OPC UA test peer for discovery/opcua/probe (node-opcua). Usage:
//   node server.js PORT PKI_DIR
// Endpoints: SecurityPolicy None (mode None) and Basic256Sha256 (Sign,
// SignAndEncrypt); tokens: anonymous and username. BuildInfo is set so that
// the probe's anonymous Read can be checked. Prints "READY <port>" when
// listening.
"use strict";
const path = require("path");
const { OPCUAServer } = require("node-opcua-server");
const { MessageSecurityMode, SecurityPolicy } = require("node-opcua-secure-channel");
const { OPCUACertificateManager } = require("node-opcua-certificate-manager");

async function main() {
  const port = parseInt(process.argv[2], 10);
  const pki = process.argv[3] || path.join(__dirname, "pki");
  const serverCertificateManager = new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: true });
  await serverCertificateManager.initialize();
  const server = new OPCUAServer({
    port,
    hostname: "127.0.0.1",
    serverCertificateManager,
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    allowAnonymous: true,
    userManager: { isValidUser: (user, pass) => user === "operator" && pass === "not-a-real-password" },
    serverInfo: {
      applicationUri: "urn:otzone:test:node-opcua",
      productUri: "urn:otzone:test:node-opcua:product",
      applicationName: { text: "otzone node-opcua peer", locale: "en" },
    },
    buildInfo: {
      productName: "node-opcua test server",
      productUri: "urn:otzone:test:node-opcua:product",
      manufacturerName: "otzone test",
      softwareVersion: "2.186.4-test",
      buildNumber: "4242",
      buildDate: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)),
    },
  });
  await server.initialize();
  await server.start();
  process.stdout.write("READY " + port + "\n");
  const stop = async () => { await server.shutdown(100); process.exit(0); };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => { console.error(err); process.exit(1); });
