package assess_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otzone/otzone/assess"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
	"github.com/otzone/otzone/zones/diagram"
)

// webdriver is a minimal W3C WebDriver client for chromedriver (net/http
// only): enough to load a page, run a script, type into a box, read the
// browser log and take a screenshot.
type webdriver struct {
	base, session string
	c             *http.Client
}

func (w *webdriver) do(method, path string, body any) (json.RawMessage, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, w.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%s %s: %s", method, path, raw)
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, out.Value)
	}
	return out.Value, nil
}

func (w *webdriver) exec(t *testing.T, script string, v any) {
	t.Helper()
	raw, err := w.do("POST", "/session/"+w.session+"/execute/sync", map[string]any{"script": script, "args": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startBrowser starts chromedriver driving headless Chromium, or skips.
func startBrowser(t *testing.T) *webdriver {
	t.Helper()
	driver, err := exec.LookPath("chromedriver")
	if err != nil {
		t.Skip("chromedriver not installed: the browser test needs apt packages chromium and chromium-driver")
	}
	browser := ""
	for _, b := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(b); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("chromium not installed: the browser test needs apt packages chromium and chromium-driver")
	}
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, driver, fmt.Sprintf("--port=%d", port))
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	w := &webdriver{base: fmt.Sprintf("http://127.0.0.1:%d", port), c: &http.Client{Timeout: 60 * time.Second}}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if raw, err := w.do("GET", "/status", nil); err == nil && strings.Contains(string(raw), `"ready":true`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("chromedriver did not become ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{"binary": browser, "args": []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
			"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
			"--user-data-dir=" + t.TempDir(), "--window-size=1400,2000"}},
		"goog:loggingPrefs": map[string]any{"browser": "ALL"},
	}}}
	raw, err := w.do("POST", "/session", caps)
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	var s struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(raw, &s); err != nil || s.SessionID == "" {
		t.Fatalf("new session: %s", raw)
	}
	w.session = s.SessionID
	t.Cleanup(func() { w.do("DELETE", "/session/"+w.session, nil) })
	return w
}

func (w *webdriver) open(t *testing.T, path string) {
	t.Helper()
	abs, _ := filepath.Abs(path)
	if _, err := w.do("POST", "/session/"+w.session+"/url", map[string]any{"url": "file://" + abs}); err != nil {
		t.Fatal(err)
	}
}

// consoleErrors returns the browser log entries at SEVERE level (script
// errors, CSP violations, failed loads).
func (w *webdriver) consoleErrors(t *testing.T) []string {
	t.Helper()
	raw, err := w.do("POST", "/session/"+w.session+"/se/log", map[string]any{"type": "browser"})
	if err != nil {
		t.Fatalf("browser log: %v", err)
	}
	var entries []struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	json.Unmarshal(raw, &entries)
	var out []string
	for _, e := range entries {
		if e.Level == "SEVERE" {
			out = append(out, e.Message)
		}
	}
	return out
}

func writeReport(t *testing.T, a *assess.Assessment, g *diagram.Graph, name string) string {
	t.Helper()
	var b bytes.Buffer
	if err := assess.WriteHTML(context.Background(), &b, a, g); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBrowserDemoReport loads the demo plant's HTML report in headless
// Chromium: no console errors (so no CSP violation either), the diagram and
// tables are there, and the filter box filters the asset table.
func TestBrowserDemoReport(t *testing.T) {
	w := startBrowser(t)
	d := demoPlant(t)
	path := writeReport(t, d.a, assess.Diagram(d.a, d.m, d.inv, diagram.DetailZones), "demo.html")
	w.open(t, path)
	var state struct {
		Ready    string `json:"ready"`
		SVG      int    `json:"svg"`
		Nodes    int    `json:"nodes"`
		GapRows  int    `json:"gapRows"`
		Findings int    `json:"findings"`
		Assets   int    `json:"assets"`
	}
	w.exec(t, `return {ready: document.documentElement.getAttribute("data-otzone-ready"),
		svg: document.querySelectorAll("#zone-diagram svg").length,
		nodes: document.querySelectorAll("#zone-diagram svg g.node").length,
		gapRows: document.querySelectorAll("#gap-table tbody tr").length,
		findings: document.querySelectorAll("article.finding").length,
		assets: document.querySelectorAll("#asset-table tbody tr").length};`, &state)
	if state.Ready != "1" {
		t.Error("report script did not run (blocked by CSP?)")
	}
	if state.SVG != 1 || state.Nodes != len(d.m.Zones) || state.GapRows != len(d.a.Zones) || state.Findings != len(d.a.Findings) || state.Assets != len(d.a.Assets) {
		t.Errorf("page content %+v; want %d zone nodes, %d gap rows, %d findings, %d assets", state, len(d.m.Zones), len(d.a.Zones), len(d.a.Findings), len(d.a.Assets))
	}
	// Type into the filter box like a user: only rows mentioning "plc" stay visible.
	raw, err := w.do("POST", "/session/"+w.session+"/element", map[string]any{"using": "css selector", "value": "#asset-filter"})
	if err != nil {
		t.Fatal(err)
	}
	var el map[string]string
	json.Unmarshal(raw, &el)
	var eid string
	for _, v := range el {
		eid = v
	}
	if _, err := w.do("POST", "/session/"+w.session+"/element/"+eid+"/value", map[string]any{"text": "plc"}); err != nil {
		t.Fatal(err)
	}
	var vis struct {
		Visible, Total, Match int
		Count                 string
	}
	w.exec(t, `var rows=document.querySelectorAll("#asset-table tbody tr"),v=0,m=0;
		rows.forEach(function(r){var shown=getComputedStyle(r).display!=="none"; if(shown){v++;} if(r.textContent.toLowerCase().indexOf("plc")>=0){m++;}});
		return {Visible:v,Total:rows.length,Match:m,Count:document.getElementById("asset-count").textContent};`, &vis)
	if vis.Visible != vis.Match || vis.Visible == 0 || vis.Visible == vis.Total || !strings.HasPrefix(vis.Count, fmt.Sprint(vis.Visible)+" of ") {
		t.Errorf("filter 'plc': %+v", vis)
	}
	if errs := w.consoleErrors(t); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	raw, err = w.do("GET", "/session/"+w.session+"/screenshot", nil)
	if err != nil {
		t.Fatal(err)
	}
	var b64 string
	json.Unmarshal(raw, &b64)
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot: %v", err)
	}
	shot := filepath.Join("testdata", "out", "demo-report.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
}

// TestBrowserHostileNames builds a report from an inventory whose names
// carry script injections and checks in the browser that nothing ran.
func TestBrowserHostileNames(t *testing.T) {
	w := startBrowser(t)
	evil := []string{
		`<script>window.pwned1=1</script>`,
		`"><img src=x onerror="window.pwned2=1">`,
		`</textarea></style><script>window.pwned3=1</script>`,
		`javascript:window.pwned4=1`,
		`"]; evil [`, `=cmd|' /C calc'!A0`, "new\nline", `%%{init}`, `end`,
		`<svg onload=window.pwned5=1>`,
	}
	lv := func(n int) *int { return &n }
	inv := &inventory.Inventory{}
	m := &zones.Model{Source: "derived"}
	m.Zones = append(m.Zones, zones.Zone{ID: "sup", Name: `<b onmouseover=window.pwned6=1>x</b>`, Kind: zones.KindSupervisory, PurdueLevel: lv(2), SLTarget: zones.DefaultSLTarget(zones.KindSupervisory)})
	for i, e := range evil {
		id := fmt.Sprintf("a%d", i)
		inv.Assets = append(inv.Assets, inventory.Asset{ID: id, Hostnames: []string{e}, Vendor: e, Model: e, Firmware: e, DeviceType: "plc", PurdueLevel: lv(1),
			IPs: []string{fmt.Sprintf("10.0.0.%d", i+1)}})
		zid := "zone-" + e
		m.Zones = append(m.Zones, zones.Zone{ID: zid, Name: e, Kind: zones.KindControl, PurdueLevel: lv(1), Assets: []string{id}, SLTarget: zones.DefaultSLTarget(zones.KindControl)})
		inv.Assets = append(inv.Assets, inventory.Asset{ID: "h" + id, Hostnames: []string{e}, DeviceType: "historian", PurdueLevel: lv(3)})
		m.Zones[0].Assets = append(m.Zones[0].Assets, "h"+id)
		inv.Communications = append(inv.Communications, inventory.Communication{Client: "h" + id, Server: id, Protocol: "modbus", Port: 502, Packets: 4,
			Source: "pcap:" + e + "#frame=1", Operations: []inventory.Operation{{Name: e, Class: "write", Count: 1, Source: "pcap:" + e + "#frame=2"}}})
		m.Conduits = append(m.Conduits, zones.Conduit{ID: "c-" + e, Zones: [2]string{"sup", zid}, Protocols: []string{"modbus", e}, Operations: map[string]uint64{"write": 1}})
	}
	rs, err := rules.Load("")
	if err != nil {
		t.Fatal(err)
	}
	a, err := assess.Run(inv, m, rs, assess.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Findings) == 0 {
		t.Fatal("no findings: the hostile strings would not reach the findings section")
	}
	path := writeReport(t, a, assess.Diagram(a, m, inv, diagram.DetailAssets), "hostile.html")
	w.open(t, path)
	var res struct {
		Pwned   []string `json:"pwned"`
		Scripts int      `json:"scripts"`
		Imgs    int      `json:"imgs"`
		Ready   string   `json:"ready"`
		Text    bool     `json:"text"`
	}
	w.exec(t, `var p=[];for(var i=1;i<=6;i++){if(window["pwned"+i]!==undefined){p.push("pwned"+i);}}
		return {pwned:p, scripts:document.scripts.length, imgs:document.images.length,
		ready:document.documentElement.getAttribute("data-otzone-ready"),
		text:document.body.textContent.indexOf("<script>window.pwned1=1</script>")>=0};`, &res)
	if len(res.Pwned) != 0 || res.Scripts != 1 || res.Imgs != 0 || res.Ready != "1" || !res.Text {
		t.Errorf("hostile report: %+v (want no pwned globals, only the report's script, no img, names shown as text)", res)
	}
	// Hover over everything: an injected handler would fire.
	w.exec(t, `document.querySelectorAll("*").forEach(function(e){e.dispatchEvent(new MouseEvent("mouseover",{bubbles:true}));});return 0;`, new(int))
	var after []string
	w.exec(t, `var p=[];for(var i=1;i<=6;i++){if(window["pwned"+i]!==undefined){p.push("pwned"+i);}}return p;`, &after)
	if len(after) != 0 {
		t.Errorf("handlers ran: %v", after)
	}
	for _, e := range w.consoleErrors(t) {
		t.Errorf("console error: %s", e)
	}
}

// TestBrowserHostileCapture: a report built from a capture whose DHCP host
// names are script injections executes nothing in a real browser.
func TestBrowserHostileCapture(t *testing.T) {
	inv, m, a := hostilePipeline(t)
	w := startBrowser(t)
	path := writeReport(t, a, assess.Diagram(a, m, inv, diagram.DetailAssets), "hostile-capture.html")
	w.open(t, path)
	var res struct {
		Pwned   []string `json:"pwned"`
		Scripts int      `json:"scripts"`
		Imgs    int      `json:"imgs"`
		Ready   string   `json:"ready"`
		Shown   bool     `json:"shown"`
	}
	w.exec(t, `var p=[];for(var i=1;i<=3;i++){if(window["pwned"+i]!==undefined){p.push("pwned"+i);}}
		return {pwned:p, scripts:document.scripts.length, imgs:document.images.length,
		ready:document.documentElement.getAttribute("data-otzone-ready"),
		shown:document.getElementById("asset-table").textContent.indexOf("<script>window.pwned1=1</script>")>=0};`, &res)
	if len(res.Pwned) != 0 || res.Scripts != 1 || res.Imgs != 0 || res.Ready != "1" || !res.Shown {
		t.Errorf("hostile capture report: %+v", res)
	}
	for _, e := range w.consoleErrors(t) {
		t.Errorf("console error: %s", e)
	}
}
