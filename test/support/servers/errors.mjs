// Why a server did not start, as a stable code: callers (the retry on a lost port race, a test that
// skips when 127.0.0.2 is not routable) branch on `code`, never on the message text.

export class ServerStartError extends Error {
  constructor(code, server, address, message) {
    super(message);
    this.name = 'ServerStartError';
    this.code = code;
    this.server = server;
    this.address = address;
  }
}
