"""python -m govhall.appointments: the appointments service in its own process."""

from govhall.appointments.app import SPEC
from govhall.appointments.settings import AppointmentsSettings
from govhall.kit.service import run_forever

if __name__ == "__main__":
    run_forever(SPEC, AppointmentsSettings())
