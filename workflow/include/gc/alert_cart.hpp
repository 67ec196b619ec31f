// alert_cart — the cart's view of an alert change: the protocol's AlertUpdate frame
// (proto/greenchannel.proto), and the hooks that connect AlertService's cart outbox to the ingest
// server (ServerConfig::pending_alert_updates / alert_update_delivered).
#pragma once

#include <string>
#include <vector>

#include "gc/alert_service.hpp"
#include "gc/framing.hpp"

namespace gc::workflow {

// update_id = change.cart_outbox_id (0 when the change has no outbox row).
proto::pb::AlertUpdate to_alert_update(const AlertChange& change);

// The undelivered AlertUpdates of a cart, oldest first, each with its update_id (outbox id).
std::vector<proto::pb::AlertUpdate> pending_alert_updates(AlertService& service,
                                                          const std::string& device_id);

}  // namespace gc::workflow
