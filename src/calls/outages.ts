/**
 * Outage notices by area ("no internet in Zarechny district until 18:00"),
 * set by admins: from the configuration now, from the API once it lands. A
 * notice is a prompt (an id in prompts/ or a file: path) recorded by the admin.
 */
export interface OutageNotice {
  area: string;
  prompt: string;
  from?: Date;
  until?: Date;
}

/** The area every caller hears about (a city-wide outage). */
export const ALL_AREAS = '*';

export class OutageBoard {
  private notices: OutageNotice[] = [];

  constructor(notices: OutageNotice[] = []) {
    this.set(notices);
  }

  set(notices: OutageNotice[]): void {
    this.notices = [...notices];
  }

  list(): OutageNotice[] {
    return [...this.notices];
  }

  /** Prompts of the notices in force now for the area (and for all areas). */
  current(area: string | undefined, now: Date): string[] {
    return this.notices
      .filter((n) => (n.area === ALL_AREAS || n.area === area) && (n.from === undefined || n.from <= now) && (n.until === undefined || now < n.until))
      .map((n) => n.prompt);
  }
}
