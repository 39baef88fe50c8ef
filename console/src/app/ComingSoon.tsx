/** A page with nothing to show: an unknown address. */
export function ComingSoon({ title }: { title: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <p>There is no page at this address. Use the navigation above.</p>
    </section>
  )
}
