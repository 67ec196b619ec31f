// The reading station over plain TCP (loopback development and behind a TLS-terminating proxy):
// the sessions of sessions.hpp instantiated for beast::tcp_stream.
#include "sessions.hpp"

namespace gc::station::detail {

void start_plain_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<ConnectionSlot> slot,
                         const std::shared_ptr<Station::Impl>& station) {
  sessions::start_http(sessions::PlainStream(std::move(socket)), std::move(slot), station);
}

}  // namespace gc::station::detail
