// libqrencode adapter.
#include "core/qr.h"

#include <qrencode.h>

#include <memory>

namespace carnet {

Result<std::string> qr_svg(std::string_view text, std::string_view title) {
  std::string input(text);
  std::unique_ptr<QRcode, void (*)(QRcode*)> qr(QRcode_encodeString8bit(input.c_str(), 0, QR_ECLEVEL_M), QRcode_free);
  if (!qr) return Status::invalid("text too long for a QR code");
  const int size = qr->width, quiet = 4, total = size + 2 * quiet;
  std::string t;
  for (char c : title) {
    if (c == '<') t += "&lt;";
    else if (c == '>') t += "&gt;";
    else if (c == '&') t += "&amp;";
    else if (c == '"') t += "&quot;";
    else t += c;
  }
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(total) + " " +
                    std::to_string(total) + "\" shape-rendering=\"crispEdges\" role=\"img\"><title>" + t +
                    "</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      if (qr->data[y * size + x] & 1) {
        svg += "M" + std::to_string(x + quiet) + " " + std::to_string(y + quiet) + "h1v1h-1z";
      }
    }
  }
  svg += "\"/></svg>";
  return svg;
}

}  // namespace carnet
