import { UnmuteApp } from "@/components/UnmuteApp";

export default function HomePage() {
  return <UnmuteApp />;
}
