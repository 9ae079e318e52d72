"""govhall.appointments: appointments (预约): halls, windows, timetables, slots, bookings, check-in
and the hall queue."""
