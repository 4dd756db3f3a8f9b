// Placeholder; the test-infrastructure work fills this in (PostgreSQL, S3 servers, media fixtures).
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
