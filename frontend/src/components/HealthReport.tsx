/** The page shown when `/v1/health` says a service a conversation needs is down. */

interface Props {
  servicesDown: readonly string[];
  /** Set when the server itself did not answer. */
  detail: string | null;
  onRetry: () => void;
}

export function HealthReport({ servicesDown, detail, onRetry }: Props) {
  return (
    <section className="health-report" role="alert" aria-labelledby="health-title">
      <h2 id="health-title">Unmute cannot start a conversation right now</h2>
      {servicesDown.length > 0 ? (
        <>
          <p>{servicesDown.length === 1 ? "This service is down:" : "These services are down:"}</p>
          <ul>
            {servicesDown.map((service) => (
              <li key={service}>{service}</li>
            ))}
          </ul>
        </>
      ) : (
        <p>The Unmute server is not reachable.{detail !== null && ` (${detail})`}</p>
      )}
      <p>This is usually temporary. If it persists, tell whoever runs this server.</p>
      <button type="button" onClick={onRetry}>
        Check again
      </button>
    </section>
  );
}
