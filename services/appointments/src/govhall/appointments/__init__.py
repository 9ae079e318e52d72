"""govhall.appointments: Appointments (预约): halls, windows, slots, bookings."""
