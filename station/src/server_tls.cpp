// The reading station over TLS: the handshake under the handshake deadline (a reclaimed slot
// closes the socket mid-handshake), then the sessions of sessions.hpp instantiated for
// beast::ssl_stream<beast::tcp_stream>.
#include "sessions.hpp"

namespace gc::station::detail {

void start_tls_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<ConnectionSlot> slot,
                       const std::shared_ptr<Station::Impl>& station) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  using sessions::TlsStream;
  auto stream = std::make_shared<TlsStream>(std::move(socket), *station->config.tls);
  slot->on_evict([weak = std::weak_ptr<TlsStream>(stream), executor = stream->get_executor()] {
    asio::post(executor, [weak] {
      if (const auto s = weak.lock()) beast::get_lowest_layer(*s).close();
    });
  });
  beast::get_lowest_layer(*stream).expires_after(station->config.handshake_timeout);
  stream->async_handshake(asio::ssl::stream_base::server,
                          [self = station, stream, slot](beast::error_code hec) {
                            if (hec) return;  // scanners, wrong protocol, timeouts: nothing to say
                            beast::get_lowest_layer(*stream).expires_never();
                            sessions::start_http(std::move(*stream), slot, self);
                          });
}

}  // namespace gc::station::detail
