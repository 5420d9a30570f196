// The session keys the tests use, declared the way an app declares its own
// (README: TypeScript). Without it, `req.session.views` is a type error, as it
// should be.
export {};

declare module '../../src/index.js' {
  interface SessionData {
    views: number;
  }
}
