/** A page with nothing to show: an unknown address. */
export function ComingSoon({ title }: { title: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <p>There is no page at this address. Use the navigation above.</p>
    </section>
  )
}

/** A page whose API is not in this build yet: the place is kept in the navigation. */
export function Reserved({ title }: { title: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <p className="notice">
        This page arrives with the desk-calibration and knowledge-gap APIs. Until then, the reliability
        diagram on the Analytics page shows how confidence holds up on this desk.
      </p>
    </section>
  )
}
