export async function deploy() {
  return {};
}
