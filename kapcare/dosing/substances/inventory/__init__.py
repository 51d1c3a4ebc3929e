"""The DEA records of the register: biennial, initial and change-of-registrant inventories
and theft or loss reports with DEA Form 106's data."""
