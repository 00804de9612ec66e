package probe

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/ua"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/opcua"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func selfSigned(t *testing.T, appURI string) ([]byte, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(appURI)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "otzone test server", Organization: []string{"otzone"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), URIs: []*url.URL{u},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, BasicConstraintsValid: true, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

// startGopcua runs gopcua's own server (v0.8.0) on a free loopback port with
// None, Basic256Sha256 Sign and SignAndEncrypt endpoints, anonymous and
// username tokens.
func startGopcua(t *testing.T) int {
	t.Helper()
	port := freePort(t)
	cert, key := selfSigned(t, "urn:otzone:test:gopcua")
	s := server.New(
		server.EndPoint("127.0.0.1", port),
		server.Certificate(cert), server.PrivateKey(key),
		server.EnableSecurity("None", ua.MessageSecurityModeNone),
		server.EnableSecurity("Basic256Sha256", ua.MessageSecurityModeSign),
		server.EnableSecurity("Basic256Sha256", ua.MessageSecurityModeSignAndEncrypt),
		server.EnableAuthMode(ua.UserTokenTypeAnonymous),
		server.EnableAuthMode(ua.UserTokenTypeUserName),
		server.ServerName("otzone gopcua peer"),
		server.ManufacturerName("otzone test"),
		server.ProductName("gopcua test server"),
		server.SoftwareVersion("0.8.0-test"),
	)
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		cancel()
		t.Fatalf("gopcua server: %v", err)
	}
	t.Cleanup(func() { s.Close(); cancel() })
	waitPort(t, port)
	return port
}

func waitPort(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", itoa(port)), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server on port %d did not come up", port)
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string { return big.NewInt(int64(i)).String() }

func runProbe(t *testing.T, rawURL string, opts Options) (Result, []discovery.Observation) {
	t.Helper()
	ts, err := ParseTargets([]string{rawURL})
	if err != nil {
		t.Fatal(err)
	}
	var obs []discovery.Observation
	if opts.Rate == 0 {
		opts.Rate, opts.PerHostRate = 100, 20
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := Run(ctx, ts, opts, func(o discovery.Observation) { obs = append(obs, o) })
	if err != nil {
		t.Fatal(err)
	}
	return res[0], obs
}

func attrs(obs []discovery.Observation) map[string]bool {
	m := map[string]bool{}
	for _, o := range obs {
		if o.Kind == discovery.KindAttribute {
			m[o.Key+"="+o.Value] = true
		}
	}
	return m
}

func checkSentAllowed(t *testing.T, r Result) {
	t.Helper()
	for _, s := range r.Sent {
		if _, ok := Allowed[s]; !ok {
			t.Errorf("sent %s, not on the allow-list", s)
		}
	}
}

func TestGopcuaServer(t *testing.T) {
	port := startGopcua(t)
	r, obs := runProbe(t, "opc.tcp://127.0.0.1:"+itoa(port), Options{})
	if r.Err != nil {
		t.Fatalf("probe: %v (sent %v)", r.Err, r.Sent)
	}
	checkSentAllowed(t, r)
	a := attrs(obs)
	for _, want := range []string{
		"opcua.security_policy_uri=http://opcfoundation.org/UA/SecurityPolicy#None",
		"opcua.security_policy_uri=http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256",
		"opcua.security_mode=None", "opcua.security_mode=Sign", "opcua.security_mode=SignAndEncrypt",
		"opcua.user_token_type=anonymous", "opcua.user_token_type=username",
		"opcua.certificate_subject=CN=otzone test server,O=otzone",
		"opcua.certificate_self_signed=true", "opcua.certificate_key_bits=2048",
		"opcua.certificate_uri=urn:otzone:test:gopcua",
	} {
		if !a[want] {
			t.Errorf("missing %s", want)
		}
	}
	if !r.Session {
		t.Fatalf("no session: %s", r.SessionNote)
	}
	if r.Build["product_name"] != "gopcua test server" || r.Build["manufacturer_name"] != "otzone test" || r.Build["software_version"] != "0.8.0-test" {
		t.Errorf("build info %v", r.Build)
	}
	want := []opcua.ServiceID{446, 422, 428, 461, 467, 631, 473, 452}
	if len(r.Sent) != len(want) {
		t.Fatalf("sent %v, want %v", r.Sent, want)
	}
	for i := range want {
		if r.Sent[i] != want[i] {
			t.Errorf("sent %v, want %v", r.Sent, want)
			break
		}
	}
	for k := range a {
		if strings.HasPrefix(k, "opcua.certificate") {
			t.Logf("%s", k)
		}
	}
	t.Logf("endpoints: %+v", r.Endpoints)
	t.Logf("build: %v state %q requests %d", r.Build, r.State, r.Requests)
}

// startNodeOPCUA runs testdata/server/server.js (node-opcua 2.160.0) on a
// free loopback port. It skips when node or the installed modules are
// absent: `npm ci --prefix discovery/opcua/probe/testdata/server` installs
// them from the committed lock file.
func startNodeOPCUA(t *testing.T) int {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: node-opcua peer test skipped")
	}
	dir, _ := filepath.Abs("testdata/server")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "node-opcua-server")); err != nil {
		t.Skipf("node-opcua not installed (run: npm ci --prefix %s): peer test skipped", dir)
	}
	port := freePort(t)
	cmd := exec.Command(node, filepath.Join(dir, "server.js"), itoa(port), t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "READY ") {
				ready <- true
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("node-opcua server exited: %s", stderr.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("node-opcua server not ready after 90s: %s", stderr.String())
	}
	return port
}

func TestNodeOPCUAServer(t *testing.T) {
	port := startNodeOPCUA(t)
	r, obs := runProbe(t, "opc.tcp://127.0.0.1:"+itoa(port), Options{})
	if r.Err != nil {
		t.Fatalf("probe: %v (sent %v)", r.Err, r.Sent)
	}
	checkSentAllowed(t, r)
	a := attrs(obs)
	for _, want := range []string{
		"opcua.security_policy_uri=http://opcfoundation.org/UA/SecurityPolicy#None",
		"opcua.security_policy_uri=http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256",
		"opcua.security_mode=None", "opcua.security_mode=Sign", "opcua.security_mode=SignAndEncrypt",
		"opcua.user_token_type=anonymous", "opcua.user_token_type=username",
		"opcua.application_uri=urn:otzone:test:node-opcua",
		"opcua.application_name=otzone node-opcua peer",
		"opcua.certificate_self_signed=true",
	} {
		if !a[want] {
			t.Errorf("missing %s", want)
		}
	}
	if !r.Session {
		t.Fatalf("no session: %s", r.SessionNote)
	}
	want := map[string]string{"product_name": "node-opcua test server", "manufacturer_name": "otzone test",
		"software_version": "2.186.4-test", "build_number": "4242", "build_date": "2025-01-02T03:04:05Z", "product_uri": "urn:otzone:test:node-opcua:product"}
	for k, v := range want {
		if r.Build[k] != v {
			t.Errorf("build %s = %q, want %q", k, r.Build[k], v)
		}
	}
	if r.State != "running" {
		t.Errorf("state %q", r.State)
	}
	for k := range a {
		if strings.HasPrefix(k, "opcua.endpoint=") || strings.HasPrefix(k, "opcua.certificate_subject") {
			t.Logf("%s", k)
		}
	}
}

// TestSeveralTargets: results come back in argument order; a refused
// connection fails only its own target.
func TestSeveralTargets(t *testing.T) {
	port := startGopcua(t)
	dead := freePort(t) // nothing listens there
	ts, err := ParseTargets([]string{"opc.tcp://127.0.0.1:" + itoa(dead), "opc.tcp://127.0.0.1:" + itoa(port)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Run(ctx, ts, Options{Rate: 100, PerHostRate: 20, Timeout: time.Second}, func(discovery.Observation) {})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Target != ts[0] || res[1].Target != ts[1] {
		t.Fatalf("results %+v", res)
	}
	if res[0].Err == nil || res[0].Requests != 0 {
		t.Errorf("dead target: err %v, %d requests", res[0].Err, res[0].Requests)
	}
	if res[1].Err != nil || !res[1].Session {
		t.Errorf("live target: err %v session %v (%s)", res[1].Err, res[1].Session, res[1].SessionNote)
	}
}
