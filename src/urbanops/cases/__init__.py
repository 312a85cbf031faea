"""Cases: the transition table, deadlines, workflow services, the timeline and supervision."""
