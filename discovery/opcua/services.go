package opcua

import (
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// ServiceID is the numeric NodeId (namespace 0) of a service's
// DefaultBinary encoding, the TypeId that opens every OPC UA message body
// (Part 6, 5.2.2.9; the numbers are those of the OPC Foundation's
// NodeIds.csv as generated into gopcua's id package).
type ServiceID uint32

// ServiceFault is the body of a response whose service failed.
const ServiceFault ServiceID = 397

// Service binary encoding ids used by the dissector and the probe.
const (
	SvcFindServersRequest        ServiceID = 422
	SvcFindServersResponse       ServiceID = 425
	SvcGetEndpointsRequest       ServiceID = 428
	SvcGetEndpointsResponse      ServiceID = 431
	SvcOpenSecureChannelRequest  ServiceID = 446
	SvcOpenSecureChannelResponse ServiceID = 449
	SvcCloseSecureChannelRequest ServiceID = 452
	SvcCreateSessionRequest      ServiceID = 461
	SvcCreateSessionResponse     ServiceID = 464
	SvcActivateSessionRequest    ServiceID = 467
	SvcCloseSessionRequest       ServiceID = 473
	SvcReadRequest               ServiceID = 631
	SvcWriteRequest              ServiceID = 673
	SvcCallRequest               ServiceID = 712
)

// ServiceInfo describes one service encoding: its snake_case name, whether
// it is the request half, and the operation class a request belongs to.
type ServiceInfo struct {
	Name    string
	Request bool
	Class   discovery.OpClass
}

// Class choices (documented in doc.go): Call is "control" (a method runs
// server-side code: start, stop, reset), AddNodes/DeleteNodes/references and
// RegisterServer are "config", subscriptions and history reads are "read",
// HistoryUpdate is "write", session and channel services are "other".
var services = map[ServiceID]ServiceInfo{
	397:   {"service_fault", false, discovery.OpOther},
	422:   {"find_servers", true, discovery.OpDiscovery},
	425:   {"find_servers", false, discovery.OpDiscovery},
	428:   {"get_endpoints", true, discovery.OpDiscovery},
	431:   {"get_endpoints", false, discovery.OpDiscovery},
	437:   {"register_server", true, discovery.OpConfig},
	440:   {"register_server", false, discovery.OpConfig},
	446:   {"open_secure_channel", true, discovery.OpOther},
	449:   {"open_secure_channel", false, discovery.OpOther},
	452:   {"close_secure_channel", true, discovery.OpOther},
	455:   {"close_secure_channel", false, discovery.OpOther},
	461:   {"create_session", true, discovery.OpOther},
	464:   {"create_session", false, discovery.OpOther},
	467:   {"activate_session", true, discovery.OpOther},
	470:   {"activate_session", false, discovery.OpOther},
	473:   {"close_session", true, discovery.OpOther},
	476:   {"close_session", false, discovery.OpOther},
	479:   {"cancel", true, discovery.OpOther},
	482:   {"cancel", false, discovery.OpOther},
	488:   {"add_nodes", true, discovery.OpConfig},
	491:   {"add_nodes", false, discovery.OpConfig},
	494:   {"add_references", true, discovery.OpConfig},
	497:   {"add_references", false, discovery.OpConfig},
	500:   {"delete_nodes", true, discovery.OpConfig},
	503:   {"delete_nodes", false, discovery.OpConfig},
	506:   {"delete_references", true, discovery.OpConfig},
	509:   {"delete_references", false, discovery.OpConfig},
	527:   {"browse", true, discovery.OpRead},
	530:   {"browse", false, discovery.OpRead},
	533:   {"browse_next", true, discovery.OpRead},
	536:   {"browse_next", false, discovery.OpRead},
	554:   {"translate_browse_paths_to_node_ids", true, discovery.OpRead},
	557:   {"translate_browse_paths_to_node_ids", false, discovery.OpRead},
	560:   {"register_nodes", true, discovery.OpRead},
	563:   {"register_nodes", false, discovery.OpRead},
	566:   {"unregister_nodes", true, discovery.OpRead},
	569:   {"unregister_nodes", false, discovery.OpRead},
	615:   {"query_first", true, discovery.OpRead},
	618:   {"query_first", false, discovery.OpRead},
	621:   {"query_next", true, discovery.OpRead},
	624:   {"query_next", false, discovery.OpRead},
	631:   {"read", true, discovery.OpRead},
	634:   {"read", false, discovery.OpRead},
	664:   {"history_read", true, discovery.OpRead},
	667:   {"history_read", false, discovery.OpRead},
	673:   {"write", true, discovery.OpWrite},
	676:   {"write", false, discovery.OpWrite},
	700:   {"history_update", true, discovery.OpWrite},
	703:   {"history_update", false, discovery.OpWrite},
	712:   {"call", true, discovery.OpControl},
	715:   {"call", false, discovery.OpControl},
	751:   {"create_monitored_items", true, discovery.OpRead},
	754:   {"create_monitored_items", false, discovery.OpRead},
	763:   {"modify_monitored_items", true, discovery.OpRead},
	766:   {"modify_monitored_items", false, discovery.OpRead},
	769:   {"set_monitoring_mode", true, discovery.OpRead},
	772:   {"set_monitoring_mode", false, discovery.OpRead},
	775:   {"set_triggering", true, discovery.OpRead},
	778:   {"set_triggering", false, discovery.OpRead},
	781:   {"delete_monitored_items", true, discovery.OpRead},
	784:   {"delete_monitored_items", false, discovery.OpRead},
	787:   {"create_subscription", true, discovery.OpRead},
	790:   {"create_subscription", false, discovery.OpRead},
	793:   {"modify_subscription", true, discovery.OpRead},
	796:   {"modify_subscription", false, discovery.OpRead},
	799:   {"set_publishing_mode", true, discovery.OpRead},
	802:   {"set_publishing_mode", false, discovery.OpRead},
	826:   {"publish", true, discovery.OpRead},
	829:   {"publish", false, discovery.OpRead},
	832:   {"republish", true, discovery.OpRead},
	835:   {"republish", false, discovery.OpRead},
	841:   {"transfer_subscriptions", true, discovery.OpRead},
	844:   {"transfer_subscriptions", false, discovery.OpRead},
	847:   {"delete_subscriptions", true, discovery.OpRead},
	850:   {"delete_subscriptions", false, discovery.OpRead},
	12208: {"find_servers_on_network", true, discovery.OpDiscovery},
	12209: {"find_servers_on_network", false, discovery.OpDiscovery},
	12211: {"register_server2", true, discovery.OpConfig},
	12212: {"register_server2", false, discovery.OpConfig},
}

// Info returns what is known about a service encoding id.
func (s ServiceID) Info() (ServiceInfo, bool) {
	i, ok := services[s]
	return i, ok
}

// Known reports whether s is a service encoding id this package knows.
func (s ServiceID) Known() bool { _, ok := services[s]; return ok }

func (s ServiceID) String() string {
	if i, ok := services[s]; ok {
		if s == ServiceFault {
			return "ServiceFault"
		}
		if i.Request {
			return i.Name + "_request"
		}
		return i.Name + "_response"
	}
	return "service(" + strconv.FormatUint(uint64(s), 10) + ")"
}
