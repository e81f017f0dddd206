// Express 4 is installed under the alias `express4` for tests that run on both majors; the Express 5
// types describe the part of its API the tests use.
declare module 'express4' {
  import express from 'express';
  export default express;
}
